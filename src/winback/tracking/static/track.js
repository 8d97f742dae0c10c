/*
 * winback tracking script.
 *
 * Handles the commands a store page queues on `_rmData` and sends them, batched,
 * to the collector on the origin this script was loaded from:
 *   POST {origin}/collect/{storeId}, body {v, s, page, events} as text/plain JSON.
 * It runs on pages it does not own, so nothing here may throw, block loading, or
 * leave globals behind.
 */
(function (w, d) {
  'use strict';

  var VISITOR = '_wb_vid';
  var SESSION = '_wb_sid';
  var TWO_YEARS = 63072000;
  var IDLE = 1800;
  // A CORS-safelisted type, so neither sendBeacon nor fetch needs a preflight.
  var TYPE = 'text/plain;charset=UTF-8';
  // Browsers refuse keepalive bodies over 64 KiB; bigger ones go without it.
  var KEEPALIVE_LIMIT = 60000;

  var origin = '';
  var store = '';
  var debug = false;
  var pending = [];
  var timer = 0;
  // Fallbacks for pages where cookies are blocked, so ids stay stable per page.
  var memory = { v: '', s: '', at: 0 };

  function scriptOrigin() {
    var el = d.currentScript;
    // Some loaders run the script where currentScript is null; find it by its URL.
    if (!el || !el.src) {
      el = null;
      var all = d.getElementsByTagName('script');
      for (var i = all.length - 1; i >= 0 && !el; i--) {
        if (/\/track\.js([?#]|$)/.test(all[i].src)) el = all[i];
      }
    }
    return el && el.src ? new URL(el.src, location.href).origin : '';
  }

  function warn(message, command) {
    if ((debug || w._wbDebug) && w.console) console.warn('[winback] ' + message, command);
  }

  function isObject(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  }

  function isId(value) {
    return (typeof value === 'string' && value.trim() !== '') ||
      (typeof value === 'number' && isFinite(value));
  }

  function isEmail(value) {
    return typeof value === 'string' && /^[^\s@]+@[^\s@]+$/.test(value.trim());
  }

  function newId() {
    var bytes = new Uint8Array(16);
    if (w.crypto && crypto.getRandomValues) crypto.getRandomValues(bytes);
    else for (var i = 0; i < 16; i++) bytes[i] = Math.random() * 256;
    return Array.prototype.map.call(bytes, function (b) {
      return (b + 256).toString(16).slice(1);
    }).join('');
  }

  function readCookie(name) {
    try {
      var found = d.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]+)'));
      return found ? found[1] : '';
    } catch (e) {
      return '';
    }
  }

  function writeCookie(name, value, maxAge) {
    try {
      d.cookie = name + '=' + value + '; path=/; max-age=' + maxAge + '; SameSite=Lax' +
        (location.protocol === 'https:' ? '; Secure' : '');
    } catch (e) { /* cookies disabled: the in-memory ids still work for this page */ }
  }

  // Sending counts as activity: it keeps the session alive for another idle period.
  function visitorAndSession() {
    var now = Date.now();
    var v = readCookie(VISITOR);
    if (!v) {
      v = memory.v || newId();
      writeCookie(VISITOR, v, TWO_YEARS);
    }
    var s = readCookie(SESSION) ||
      (memory.s && now - memory.at < IDLE * 1000 ? memory.s : newId());
    writeCookie(SESSION, s, IDLE);
    memory = { v: v, s: s, at: now };
    return memory;
  }

  function send(url, body) {
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(url, body)) return;
    } catch (e) { /* fall through to fetch */ }
    if (!w.fetch) return;
    fetch(url, {
      method: 'POST',
      body: body,
      keepalive: new Blob([body]).size < KEEPALIVE_LIMIT,
      credentials: 'omit',
      headers: { 'Content-Type': TYPE },
    }).catch(function () { /* best effort: a lost event must not bother the page */ });
  }

  function flush() {
    clearTimeout(timer);
    timer = 0;
    if (!store || !origin || !pending.length) return;
    var events = pending;
    pending = [];
    try {
      var ids = visitorAndSession();
      send(origin + '/collect/' + encodeURIComponent(store), JSON.stringify({
        v: ids.v,
        s: ids.s,
        page: { url: location.href, referrer: d.referrer, title: d.title },
        events: events,
      }));
    } catch (e) {
      warn('sending failed: ' + e);
    }
  }

  // Waiting one task lets everything the page pushes together go in one request.
  function schedule() {
    if (!timer && store && pending.length) timer = setTimeout(flush, 0);
  }

  function emit(type, data) {
    // Copied now, so later changes by the page don't alter what was pushed.
    pending.push({ type: type, data: JSON.parse(JSON.stringify(data)), at: Date.now() });
    schedule();
  }

  function identify(email) {
    return isEmail(email) ? emit('identify', { email: email.trim() }) : false;
  }

  // Each returns false when its arguments are wrong.
  var commands = {
    setStoreKey: function (id) {
      if (!isId(id)) return false;
      id = String(id).trim();
      if (store && id !== store) flush();
      store = id;
      if (!origin) warn('cannot find the script URL; nothing will be sent');
      schedule();
    },
    setDebug: function (on) {
      debug = !!on;
    },
    setCustomer: function (customer) {
      if (typeof customer === 'string') return identify(customer);
      return isObject(customer) ? emit('identify', customer) : false;
    },
    setCustomerEmail: identify,
    setCustomerId: function (id) {
      return isId(id) ? emit('identify', { customer_id: String(id).trim() }) : false;
    },
    track: function (type, data) {
      if (typeof type !== 'string' || !type || !(data == null || isObject(data))) return false;
      emit(type, data || {});
    },
    productView: function (data) {
      return isObject(data) ? emit('productView', data) : false;
    },
  };

  function run(command) {
    try {
      var name = Array.isArray(command) ? command[0] : undefined;
      if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(commands, name)) {
        warn('unknown command', command);
      } else if (commands[name](command[1], command[2]) === false) {
        warn('bad arguments', command);
      }
    } catch (e) {
      warn('command failed: ' + e, command);
    }
  }

  function start() {
    var queue = w._rmData;
    // A second copy on the same page would otherwise send every event twice.
    if (queue && queue.push && queue.push._wb) return;
    if (!Array.isArray(queue)) queue = w._rmData = [];
    origin = scriptOrigin();

    var queued = queue.slice();
    var received = queued.length;
    queue.length = 0;
    // Array#push returns the new length; callers get the number of commands seen.
    queue.push = function () {
      for (var i = 0; i < arguments.length; i++) run(arguments[i]);
      received += arguments.length;
      return received;
    };
    queue.push._wb = true;
    queued.forEach(run);

    w.addEventListener('pagehide', flush);
    d.addEventListener('visibilitychange', function () {
      if (d.visibilityState === 'hidden') flush();
    });
  }

  try {
    start();
  } catch (e) {
    warn('could not start: ' + e);
  }
})(window, document);

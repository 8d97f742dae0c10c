"""winback_demo: a small web shop integrated with winback the way a real store would be.

It depends on winback only through the wire: the store kit (`winback_storekit`) for
webhooks, the feed and `/discounts`, and the tracking snippet on its pages.
"""

"""Activity: custom events and browsing events, the shopper's timeline."""

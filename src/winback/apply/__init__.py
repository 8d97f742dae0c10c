"""Apply: turn raw events into customers, orders, products, carts and activity."""

"""The product catalog: products, variants, categories, availability."""

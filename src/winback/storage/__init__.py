"""Storage: the schema, the engines and the migrations. All SQL lives under here."""

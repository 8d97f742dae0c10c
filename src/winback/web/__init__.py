"""The HTTP layer: thin routes over the domain functions, and error translation."""

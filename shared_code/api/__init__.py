"""HTTP endpoints: each parses into a model (declared), calls one service function, returns data."""

"""Page modules: each registers its routes on the web blueprint."""

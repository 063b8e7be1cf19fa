"""Pure pandas/statsmodels code: classifier, issue features, per-repository metrics, regression."""

"""Customer lifetime value: BG/NBD for repeat purchases, Gamma-Gamma for margin per
purchase, fitted by maximum likelihood on the as-of date's history (DESIGN §6, CLV).

transactions -> `summary.summarise` -> `fit.fit_clv` -> `score.score`, each usable on its
own: the nightly run may build the summary in SQL, and scores with the last good
parameters when tonight's fit did not converge. `ladder clv fit|score` (`commands`) runs
the same path on a CSV file. How customers without a repeat purchase, or with a mean
margin of zero or less, are treated is in `summary`, `bgnbd` and `gamma_gamma`.
"""

"""Great Expectations gates (DESIGN §8): `validate_raw` after extract and
`validate_marts` after marts, run with GX Core on the file context in `expectations/`."""

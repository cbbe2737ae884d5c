"""The base every package may import: settings, errors, logging. It imports none of ours."""

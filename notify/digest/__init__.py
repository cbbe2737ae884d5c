"""Daily digests: what a commission must see in one screen (new, late, patterns), and the
national view for the central committee."""

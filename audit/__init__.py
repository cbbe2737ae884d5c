"""Membership registry and primaries' votes audit: readers, rules, findings → cases."""

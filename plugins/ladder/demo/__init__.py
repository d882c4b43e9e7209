"""The synthetic demo company: two source systems with planted customer personas."""

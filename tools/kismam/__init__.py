"""KISMAM: knowledge-informed, interpretable metrics and named faults with evidence."""

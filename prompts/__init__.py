"""Versioned prompt files and their strict renderer."""

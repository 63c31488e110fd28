"""Deterministic tools: readers, motion model, preprocessing, kinematics.

Plain typed Python (numpy, numba, scipy, pydantic). Never imports LangChain
or LangGraph.
"""

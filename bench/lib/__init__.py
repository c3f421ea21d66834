"""Helpers of the benchmarks: containers (docker CLI) and playbook runs."""

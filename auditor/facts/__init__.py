"""Extractors: each module turns raw files of the snapshot into facts, once per audit.

An extractor is `extract(project) -> fact`, registered by name in
`auditor.project.FACT_EXTRACTORS` and reached through `project.fact(name)`.
"""

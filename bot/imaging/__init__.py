"""Inspection of uploaded files: what the patient sent, and what a radiologist still needs.

Pure functions over file objects: no database, no web, no logging of patient data.
"""

from bot.imaging.inspect import inspect_files
from bot.imaging.sources import InspectionLimits, SourceFile
from bot.imaging.summary import Summary, conversation_summary
from bot.imaging.verdict import FileGroup, Problem, Report, Series, Study, Verdict

__all__ = [
    "FileGroup",
    "InspectionLimits",
    "Problem",
    "Report",
    "Series",
    "SourceFile",
    "Study",
    "Summary",
    "Verdict",
    "conversation_summary",
    "inspect_files",
]

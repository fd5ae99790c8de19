"""The student template: copy ``student/template.py``, fill in the bodies, check, submit.

``formulacheck template`` prints where the template is (or writes a copy).
"""

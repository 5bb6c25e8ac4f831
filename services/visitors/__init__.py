"""Visitors and host units (issue 16): visitors' own requests and their status links,
walk-ins registered at the lane, the units' approvers and 信息员, risk areas, plates.

Underneath it all is ``services.appointments``: a visitor's request is an
appointment of the host unit, decided by that unit's approvers (谁审核谁负责).
"""

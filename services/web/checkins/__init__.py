"""The daily check-in (晨午检) for clinic staff: a class sheet, missing reports, reminders."""

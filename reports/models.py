# Reports read from the other apps; their own pre-aggregates arrive with the reports issue.

"""SecondRead: a patient-facing assistant for radiology second opinions."""

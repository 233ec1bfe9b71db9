"""Letters and sheets the bot writes for the patient, rendered for print: the records request,
the authorization and the follow-up note (`pdf.render_pdf`, ReportLab; `plain_text` from
bot/guidance/records_letter.py, where the wording lives), their encrypted store and the records
requests' follow-ups (`store.py`, `requests.py`), and the two-reports sheet for the appointment
(`comparison_pdf.py`, from bot/reports)."""

"""Letters the bot writes for the patient (the records request, the authorization, the
follow-up note), rendered for print: `pdf.render_pdf` (ReportLab) and `plain_text` from
bot/guidance/records_letter.py. The wording lives in that domain module."""

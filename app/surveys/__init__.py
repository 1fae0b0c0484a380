"""The survey as a record in the database: its files (drafts, the live version, retired versions),
its opening and closing dates, and the lookup every request makes.

- lifecycle.py: upload a draft, what stops it going live, what changes, make it live, the dates;
  and SURVEY_FILE seeding an empty database.
- live.py: the questionnaire in use, the same on every worker within a few seconds of a change.

The staff pages (and `flask survey publish`) call lifecycle's functions; views read the live
questionnaire through app.questionnaire.QUESTIONNAIRE as before.
"""

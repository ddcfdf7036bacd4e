"""WTForms / Flask-WTF forms: public intake, sign-in, staff steps and director decisions."""

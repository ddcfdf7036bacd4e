"""Why a goal can be missed: written into results.md under "Goals not met" for each missed figure."""

EXPLANATIONS: dict[str, str] = {}

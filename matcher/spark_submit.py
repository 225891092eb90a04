"""`matcher` as a file for spark-submit, which runs .py files, not console scripts:

    spark-submit --master yarn "$(python -c 'import matcher.spark_submit as m; print(m.__file__)')" \
        score PROFILES --model DIR --out FILE --engine spark --spark-staging DIR
"""
import sys

from matcher.cli import main

if __name__ == "__main__":
    sys.exit(main())

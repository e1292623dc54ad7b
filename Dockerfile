# o2c: the API by default; the same image runs `o2c worker`. Install steps mirror scripts/install (CI runs those).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 OMP_THREAD_LIMIT=1 PIP_NO_CACHE_DIR=1 \
    O2C_DATA_DIR=/var/lib/o2c

RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu poppler-utils \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 o2c && mkdir -p /var/lib/o2c && chown o2c:o2c /var/lib/o2c
WORKDIR /app
COPY . .
# a wheel: only `o2c` lands in site-packages (tests/test_packaging.py builds the same). --compile (pip's default,
# stated because PYTHONDONTWRITEBYTECODE above keeps Python from caching anything later): every module gets its
# bytecode at build time, as scripts/install's compileall gives the editable tree, so no start compiles o2c.
RUN pip install --compile .

USER o2c
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request;urllib.request.urlopen('http://127.0.0.1:8000/health')"
CMD ["o2c", "serve", "--host", "0.0.0.0", "--port", "8000"]

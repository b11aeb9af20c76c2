FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt pyproject.toml README.md ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN pip install --no-cache-dir --no-deps -e . \
    && useradd --system --uid 10001 --home-dir /app jobsite \
    && mkdir -p /data /run/beat && chown jobsite /data /run/beat
# Not root: the site writes only to /data (a volume: database-less state, media, static files).
USER jobsite
EXPOSE 8000

# mlaudit in a container, for CI systems that run steps in images (GitLab, Jenkins, Drone):
#   docker build -t mlaudit . && docker run --rm -v "$PWD:/repo:ro" mlaudit /repo --fail-under 70
FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN pip install --no-cache-dir /src && rm -rf /src
USER nobody
ENTRYPOINT ["mlaudit"]

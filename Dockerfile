# One small image for both daemons (as manifests/ runs it: command eno-controller or eno-reconciler).
# It also serves as the controller's --executor-image: synthesizer pods' init container copies /eno-shim.
#   docker build -t eno-py:0.1.0 .
FROM python:3.11-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY eno eno
COPY controllers controllers
COPY cmd cmd
# The shim synthesizer pods run in front of the synthesizer: static, so any image (distroless too) can run it.
RUN gcc -static -Os -o /eno-shim eno/synthesis/shim.c && strip /eno-shim
RUN python -m venv /opt/eno && /opt/eno/bin/pip install --no-cache-dir . && /opt/eno/bin/python -m compileall -q /opt/eno

FROM python:3.11-slim
COPY --from=build /opt/eno /opt/eno
COPY --from=build /eno-shim /eno-shim
# readOnlyRootFilesystem in the Deployments: never write bytecode at run time (compiled above).
ENV PATH=/opt/eno/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 65532:65532
CMD ["eno-controller", "--help"]

# syntax=docker/dockerfile:1
# MakeupApi container: build with the .NET 10 SDK, run on the ASP.NET Core 10 runtime as a non-root user.
#   docker build -t makeupapi .
#   docker build -t makeupapi:cuda --build-arg ONNX_EP=Cuda .   (CUDA execution provider; also needs a CUDA base, see deploy/README.md)
# .NET 10 images are Ubuntu 24.04 ("noble") based; the tag names it so the package names below stay right.

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
ARG ONNX_EP=Cpu
WORKDIR /src
# Restore first, from the project files only, so the package layer is reused while only sources change.
COPY Directory.Build.props Directory.Packages.props ./
COPY src/MakeupApi/MakeupApi.csproj src/MakeupApi/
COPY src/MakeupApi.Core/MakeupApi.Core.csproj src/MakeupApi.Core/
RUN dotnet restore src/MakeupApi/MakeupApi.csproj -p:OnnxExecutionProvider=$ONNX_EP
COPY src/MakeupApi/ src/MakeupApi/
COPY src/MakeupApi.Core/ src/MakeupApi.Core/
RUN dotnet publish src/MakeupApi/MakeupApi.csproj -c Release -o /app --no-restore -p:OnnxExecutionProvider=$ONNX_EP

FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble AS runtime
# libgtk-3-0t64 (Ubuntu 24.04's name for libgtk-3-0): OpenCvSharp's native library links against GTK 3 and the image
# codecs it pulls in. curl: for the HEALTHCHECK (the runtime image has no HTTP client).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgtk-3-0t64 curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
# Relative Models:Directory ("onnx-models") resolves next to the app: /app/onnx-models.
COPY onnx-models/ ./onnx-models/
ENV ASPNETCORE_ENVIRONMENT=Production \
    ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
# The non-root user the .NET images ship (UID 1654).
USER $APP_UID
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://localhost:8080/health/live || exit 1
ENTRYPOINT ["dotnet", "MakeupApi.dll"]

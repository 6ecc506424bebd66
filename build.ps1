#!/usr/bin/env pwsh
<#
.SYNOPSIS
  Build, test, run the lab, benchmark, pack or publish Infrastructure, or record the libraries' public API.

.DESCRIPTION
  Runs on a machine that has only the .NET SDK:
      dotnet tool restore && dotnet pwsh ./build.ps1 test
  The `test` target installs what the tests need (Debian's chromium, postgresql,
  redis-server, prometheus and python3-consul through apt when they are missing; the npm clients in Tests/Interop.Js),
  starts PostgreSQL and Redis on 127.0.0.1 in a temp folder (`Lab engines start`, the lab's own engine starter),
  runs every test project, and stops them again.

.PARAMETER Target
  build | test | lab | bench | soak | pack | publish | api

  pack     NuGet packages of Discovery.Client, Config.Client, ServiceDefaults and the `dotnet new infra-service`
           template into artifacts/packages/ (version: VersionPrefix and VersionSuffix in Directory.Build.props; extra arguments go to
           `dotnet pack`, e.g. -p:VersionSuffix=rc.1 -p:RepositoryUrl=https://...). See docs/packages.md.
  publish  Discovery.Server, Gateway, Config.Server and Auth.Server as self-contained folders (no .NET needed on the
           target) into artifacts/publish/<rid>/<server>/, for linux-x64, win-x64 and osx-arm64; extra arguments
           name the runtimes instead (`publish linux-x64`). See deploy/README.md.
  api      After an intended change to a library's public API: writes it into the library's PublicAPI.Unshipped.txt
           (new and changed members added, removed ones dropped or marked *REMOVED*), then builds it as CI does. Extra
           arguments name the libraries instead of all of Packages.slnf (`api Discovery.Client`). See CONTRIBUTING.md.
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'test', 'lab', 'bench', 'soak', 'pack', 'publish', 'api')]
    [string] $Target = 'build',

    [string] $Configuration = 'Release',

    # Extra arguments passed through (to `dotnet test` as a filter, to the lab, to the benchmark or to the soak harness).
    [Parameter(ValueFromRemainingArguments = $true)]
    [string[]] $Rest = @()
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$Root = $PSScriptRoot
$Solution = Join-Path $Root 'Infrastructure.sln'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'

function Invoke-Native {
    param([string] $File, [string[]] $Arguments, [switch] $IgnoreExitCode)
    Write-Host "> $File $($Arguments -join ' ')" -ForegroundColor DarkGray
    & $File @Arguments | Out-Host
    if (-not $IgnoreExitCode -and $LASTEXITCODE -ne 0) {
        throw "$File exited with $LASTEXITCODE"
    }
}

function Test-Command([string] $Name) { $null -ne (Get-Command $Name -ErrorAction SilentlyContinue) }

function Invoke-Build {
    Invoke-Native dotnet @('build', $Solution, '-c', $Configuration, '-nologo', '-clp:ErrorsOnly;Summary')
}

# ---------------------------------------------------------------- prerequisites
function Test-Root { $IsLinux -and (Test-Command 'id') -and ((& id -u) -eq '0') }

function Install-AptPackages([string[]] $Packages) {
    if (-not $IsLinux -or -not (Test-Command 'apt-get')) {
        Write-Warning "Cannot install $($Packages -join ', ') automatically here (no apt-get). Install them yourself."
        return
    }
    $env:DEBIAN_FRONTEND = 'noninteractive'
    if (Test-Root) { $cmd = 'apt-get'; $pre = @() }
    elseif (Test-Command 'sudo') { $cmd = 'sudo'; $pre = @('-E', 'apt-get') }
    else { throw "Installing $($Packages -join ', ') needs root or sudo." }
    Invoke-Native $cmd ($pre + @('update', '-qq'))
    Invoke-Native $cmd ($pre + @('install', '-y', '-qq', '--no-install-recommends') + $Packages)
}

function Install-TestPrerequisites {
    $missing = @()
    if (-not (Test-Path '/usr/bin/chromium')) { $missing += 'chromium' }
    if (-not (Test-Path '/usr/lib/postgresql/*/bin/initdb')) { $missing += 'postgresql' }
    if (-not (Test-Command 'redis-server')) { $missing += 'redis-server' }
    if (-not (Test-Path '/usr/bin/prometheus')) { $missing += 'prometheus' }
    # Debian's Consul client for Python, driven by the Consul API interop test (PythonConsulTests).
    if (-not (Test-Path '/usr/lib/python3/dist-packages/consul/__init__.py')) { $missing += 'python3-consul' }
    if ($missing.Count -gt 0) { Install-AptPackages $missing }
    if (Test-Command 'npm') {
        Push-Location (Join-Path $Root 'Tests/Interop.Js')
        try { Invoke-Native npm @('ci', '--no-audit', '--no-fund', '--loglevel=error') } finally { Pop-Location }
    }
    else {
        Write-Warning 'npm not found: the tests that drive real npm clients (eureka-js-client, cloud-config-client, consul) will fail.'
    }
}

# PostgreSQL and Redis as the lab starts them (Hosting.Processes, through `Lab engines`), files in $TempDir, left running;
# sets INFRA_TEST_POSTGRES / INFRA_TEST_REDIS from what it prints. Stop-TestEngines stops them by the same folder.
function Get-LabDll { Join-Path $Root "Samples/Lab/bin/$Configuration/net10.0/Lab.dll" }

function Start-TestEngines([string] $TempDir) {
    $lines = & dotnet (Get-LabDll) engines start --postgres --redis --max-connections 300 --dir $TempDir
    $code = $LASTEXITCODE
    foreach ($line in $lines) {
        if ($line -match '^(INFRA_TEST_\w+)=(.+)$') {
            Set-Item -Path "Env:$($Matches[1])" -Value $Matches[2]
            Write-Host $line -ForegroundColor Green
        }
        else { Write-Host $line -ForegroundColor DarkGray }
    }
    if ($code -ne 0) { throw "starting the test engines failed (exit $code)" }
    if (-not $env:INFRA_TEST_POSTGRES) { Write-Warning 'PostgreSQL not started: PostgreSQL-backed tests will fail.' }
    if (-not $env:INFRA_TEST_REDIS) { Write-Warning 'Redis not started: Redis-backed tests will fail.' }
}

function Stop-TestEngines([string] $TempDir) {
    Invoke-Native dotnet @((Get-LabDll), 'engines', 'stop', '--dir', $TempDir) -IgnoreExitCode
}

function Invoke-Test {
    Install-TestPrerequisites
    Invoke-Build
    $temp = Join-Path ([System.IO.Path]::GetTempPath()) ("infra-test-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $temp | Out-Null
    try {
        Start-TestEngines $temp
        $results = Join-Path $Root 'artifacts/test-results'
        $testArgs = @('test', $Solution, '-c', $Configuration, '--no-build', '-nologo',
            '--blame-hang-timeout', '10m', '--results-directory', $results,
            '--logger', 'console;verbosity=normal', '--logger', 'trx')
        if ($Rest.Count -gt 0) { $testArgs += $Rest }
        Invoke-Native dotnet $testArgs
        if ($Rest.Count -eq 0) {
            # Auth.Server's whole suite again with every store on the real PostgreSQL (replicas serving as one).
            $env:AUTH_TEST_STORE = 'postgres'
            try {
                Invoke-Native dotnet @('test', (Join-Path $Root 'Tests/Auth.Server.Tests/Auth.Server.Tests.csproj'), '-c', $Configuration,
                    '--no-build', '-nologo', '--blame-hang-timeout', '10m', '--logger', 'console;verbosity=minimal')
            }
            finally { Remove-Item Env:AUTH_TEST_STORE }
        }
    }
    finally {
        try { Stop-TestEngines $temp } catch { Write-Warning "stopping the test engines: $_" }
        Remove-Item -Recurse -Force $temp -ErrorAction SilentlyContinue
    }
}

function Invoke-Lab {
    $lab = Join-Path $Root 'Samples/Lab/Lab.csproj'
    if (Test-Path $lab) {
        Invoke-Native dotnet (@('run', '--project', $lab, '-c', $Configuration, '--') + $Rest)
    }
    else {
        # Until the lab launcher exists the main job is the registry alone.
        Invoke-Native dotnet (@('run', '--project', (Join-Path $Root 'Discovery.Server'), '-c', $Configuration, '--') + $Rest)
    }
}

# `bench discovery|gateway|mesh [args]`: the registry load harness (default), the gateway-vs-YARP loopback harness, or the sidecar-overhead harness.
function Invoke-Bench {
    $which = 'Discovery'
    $benchArgs = $Rest
    if ($Rest.Count -gt 0 -and $Rest[0] -in @('discovery', 'gateway', 'mesh')) {
        $which = (Get-Culture).TextInfo.ToTitleCase($Rest[0])
        $benchArgs = @($Rest | Select-Object -Skip 1)
    }
    # The gateway harness drives wrk (Debian's package), installed here as the test target installs its engines.
    if ($which -eq 'Gateway' -and -not (Test-Command 'wrk')) { Install-AptPackages @('wrk') }
    Invoke-Native dotnet (@('run', '--project', (Join-Path $Root "Benchmarks/$which.Benchmarks"), '-c', 'Release', '--') + $benchArgs)
}

# `soak [minutes] [args]`: the whole lab (on free ports) under a fixed request rate, every process sampled (Benchmarks/Soak).
function Invoke-Soak {
    $soakArgs = $Rest
    $minutes = 0.0
    if ($Rest.Count -gt 0 -and [double]::TryParse($Rest[0], [System.Globalization.NumberStyles]::Float, [System.Globalization.CultureInfo]::InvariantCulture, [ref] $minutes)) {
        $soakArgs = @('--minutes', $Rest[0]) + @($Rest | Select-Object -Skip 1)
    }
    Invoke-Native dotnet (@('run', '--project', (Join-Path $Root 'Benchmarks/Soak'), '-c', 'Release', '--') + $soakArgs)
}

# `pack [args]`: the libraries and the template package (Packages.slnf) into artifacts/packages/.
function Invoke-Pack {
    $out = Join-Path $Root 'artifacts/packages'
    Invoke-Native dotnet (@('pack', (Join-Path $Root 'Packages.slnf'), '-c', $Configuration, '-nologo', '-o', $out) + $Rest)
    Get-ChildItem $out -Filter '*.nupkg' | Sort-Object LastWriteTime -Descending | ForEach-Object { Write-Host $_.FullName -ForegroundColor Green }
}

# `publish [rid ...]`: every server self-contained, one folder per runtime and server, with its default settings files.
function Invoke-Publish {
    $servers = @('Discovery.Server', 'Gateway', 'Config.Server', 'Auth.Server')
    $rids = if ($Rest.Count -gt 0) { $Rest } else { @('linux-x64', 'win-x64', 'osx-arm64') }
    foreach ($rid in $rids) {
        foreach ($server in $servers) {
            $out = Join-Path $Root "artifacts/publish/$rid/$server"
            Invoke-Native dotnet @('publish', (Join-Path $Root "$server/$server.csproj"), '-c', $Configuration, '-nologo',
                '-r', $rid, '--self-contained', '-o', $out)
            Write-Host "$server ($rid) -> $out" -ForegroundColor Green
        }
    }
}

# `api [library ...]`: the public API files of the compiled libraries in Packages.slnf (PublicApiAnalyzers, CONTRIBUTING.md).
function Invoke-PublicApi {
    $libraries = (Get-Content (Join-Path $Root 'Packages.slnf') -Raw | ConvertFrom-Json).solution.projects |
        ForEach-Object { Join-Path $Root ($_ -replace '\\', '/') } |
        Where-Object { (Split-Path $_ -LeafBase) -ne 'Templates' }   # the template package compiles nothing
    if ($Rest.Count -gt 0) { $libraries = $libraries | Where-Object { (Split-Path $_ -LeafBase) -in $Rest } }
    foreach ($project in $libraries) {
        $dir = Split-Path $project
        $shipped = Join-Path $dir 'PublicAPI.Shipped.txt'
        $unshipped = Join-Path $dir 'PublicAPI.Unshipped.txt'
        foreach ($file in $shipped, $unshipped) {
            if (-not (Test-Path $file)) { [IO.File]::WriteAllText($file, "#nullable enable`n") }
        }
        # RS0017 (declared, but no longer public) has no code fix: read it from a build that reports without failing, then
        # drop an unshipped line and mark a shipped one *REMOVED* in Unshipped, as the analyzer asks.
        Write-Host "> dotnet build $project (public API warnings)" -ForegroundColor DarkGray
        $output = & dotnet build $project -c $Configuration -nologo --no-incremental -p:TreatWarningsAsErrors=false 2>&1
        if ($LASTEXITCODE -ne 0) { $output | Out-Host; throw "dotnet build $project failed" }
        $gone = @($output | Select-String 'PublicAPI\.(Shipped|Unshipped)\.txt\((\d+),\d+\): warning RS0017' |
            Where-Object { $_.Line.StartsWith($dir, [StringComparison]::Ordinal) } |
            ForEach-Object { [pscustomobject]@{ Shipped = $_.Matches[0].Groups[1].Value -eq 'Shipped'; Line = [int]$_.Matches[0].Groups[2].Value } } |
            Sort-Object Shipped, Line -Unique)
        if ($gone.Count -gt 0) {
            $shippedLines = [IO.File]::ReadAllLines($shipped)
            $unshippedLines = [Collections.Generic.List[string]]::new([IO.File]::ReadAllLines($unshipped))
            foreach ($entry in $gone | Where-Object { -not $_.Shipped } | Sort-Object Line -Descending) { $unshippedLines.RemoveAt($entry.Line - 1) }
            foreach ($entry in $gone | Where-Object { $_.Shipped }) { $unshippedLines.Add('*REMOVED*' + $shippedLines[$entry.Line - 1]) }
            [IO.File]::WriteAllText($unshipped, ($unshippedLines -join "`n") + "`n")
        }
        # RS0016 (public, but not declared): the analyzer's own code fix adds the line to PublicAPI.Unshipped.txt.
        Invoke-Native dotnet @('format', 'analyzers', $project, '--diagnostics', 'RS0016', '--severity', 'info')
        Invoke-Native dotnet @('build', $project, '-c', $Configuration, '-nologo', '-clp:ErrorsOnly;Summary')
    }
}

switch ($Target) {
    'build' { Invoke-Build }
    'test' { Invoke-Test }
    'lab' { Invoke-Lab }
    'bench' { Invoke-Bench }
    'soak' { Invoke-Soak }
    'pack' { Invoke-Pack }
    'publish' { Invoke-Publish }
    'api' { Invoke-PublicApi }
}

# Shared by every tests/*.Tests.ps1: dot-source it in BeforeDiscovery and BeforeAll.
# build.ps1 runs each test file in a fresh pwsh and sets KVMPS_MODULE_PATH to the built module.

$script:RepoRoot = Split-Path $PSScriptRoot -Parent
Import-Module (Join-Path $PSScriptRoot 'lab/KvmLab.psm1') -Force

function Get-KvmPSModulePath {
    if ($env:KVMPS_MODULE_PATH) { return $env:KVMPS_MODULE_PATH }
    $version = (Import-PowerShellDataFile (Join-Path $script:RepoRoot 'KvmPS.psd1')).ModuleVersion
    Join-Path $script:RepoRoot "output/KvmPS/$version/KvmPS.psd1"
}

# This pwsh's own executable (under `dotnet pwsh` the process itself is dotnet).
function Get-PwshPath {
    Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
}

function Import-KvmPSUnderTest {
    Import-Module (Get-KvmPSModulePath) -Force -Global
}

# The reason lab suites are skipped, or $null. Printed so that a skip is never silent.
function Get-LabSkipAnnounced {
    $reason = Get-KvmLabSkipReason
    if ($reason) { Write-Warning "Lab tests in $(Split-Path $MyInvocation.PSCommandPath -Leaf) are SKIPPED: $reason" }
    $reason
}

# A HOME with the lab's key and known_hosts as the default ~/.ssh files, so that plain
# -ComputerName behaves like `ssh host` for a user set up for the lab.
function New-LabHome {
    param([Parameter(Mandatory)]$Lab)
    $home_ = Join-Path ([IO.Path]::GetTempPath()) ("kvmps-home-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory "$home_/.ssh"
    Copy-Item $Lab.keyFile "$home_/.ssh/id_ed25519"
    Copy-Item $Lab.knownHosts "$home_/.ssh/known_hosts"
    if ($IsLinux) { chmod 700 "$home_/.ssh"; chmod 600 "$home_/.ssh/id_ed25519" }
    $home_
}

# Runs argv on a session's host through the module's own transport (internal API, reached by
# reflection so that transport tests go through exactly the code cmdlets use).
function Invoke-TransportCommand {
    param(
        [Parameter(Mandatory)]$Session,
        [Parameter(Mandatory)][AllowEmptyString()][string[]]$Argv,
        [byte[]]$Stdin,
        [double]$TimeoutSeconds = 60,
        [System.Threading.CancellationToken]$CancellationToken = [System.Threading.CancellationToken]::None
    )
    $asm = $Session.GetType().Assembly
    $commandType = $asm.GetType('KvmPS.Transport.RemoteCommand', $true)
    $optionsType = $asm.GetType('KvmPS.Transport.RunOptions', $true)
    $command = [Activator]::CreateInstance($commandType, @([string[]]$Argv, $Stdin, $false, $null))
    $options = [Activator]::CreateInstance($optionsType)
    $options.Timeout = [TimeSpan]::FromSeconds($TimeoutSeconds)
    $connection = $Session.GetType().GetProperty('Connection', [Reflection.BindingFlags]'NonPublic,Instance').GetValue($Session)
    $list = [Array]::CreateInstance($commandType, 1)
    $list[0] = $command
    $batch = $connection.Shell.Run($list, $options, $CancellationToken)
    $batch.Results[0]
}

# A lab session to kvm<N> as root with the lab's key and known_hosts.
function Connect-LabHost {
    param([Parameter(Mandatory)]$Lab, [int]$Index = 0, [string]$User = 'root')
    Connect-KvmHost "$User@$($Lab.hosts[$Index].address)" -KeyFilePath $Lab.keyFile -KnownHostsPath $Lab.knownHosts
}

# Removes every guest whose name starts with the prefix from a lab host, and their volumes, without
# going through KvmPS (so a broken cmdlet cannot leave the next test file a dirty host).
function Clear-LabGuests {
    param([Parameter(Mandatory)][string]$HostName, [Parameter(Mandatory)][string]$Prefix)
    # Plain names go to one virsh process (hundreds of guests in seconds); any other name gets its own
    # virsh calls, so that no name is ever parsed by virsh's command-line syntax.
    $script = @'
prefix=$1
batch=
virsh list --all --name >/tmp/kvmps-clear.$$ || exit 1
while IFS= read -r d; do
    case "$d" in
        "$prefix"*)
            case "$d" in
                *[!A-Za-z0-9_.-]*)
                    virsh destroy "$d" >/dev/null 2>&1
                    virsh undefine "$d" --nvram >/dev/null 2>&1 || virsh undefine "$d" >/dev/null 2>&1 ;;
                *) batch="$batch destroy $d; undefine $d --nvram;" ;;
            esac ;;
    esac
done </tmp/kvmps-clear.$$
rm -f /tmp/kvmps-clear.$$
[ -n "$batch" ] && virsh -q "$batch" >/dev/null 2>&1
rm -f /var/lib/libvirt/images/"$prefix"* 2>/dev/null
virsh pool-refresh default >/dev/null 2>&1
exit 0
'@
    Invoke-KvmLabCommand $HostName 'sh', '-s', '--', $Prefix -InputText $script | Out-Null
}

# A prefix unique to this test run, for guest names.
function New-GuestPrefix([string]$Stem) { "$Stem-" + [guid]::NewGuid().ToString('N').Substring(0, 6) + '-' }

# Defines (and optionally starts) minimal diskless TCG guests directly with virsh: SeaBIOS finds
# nothing to boot and idles. Fast fixtures for lifecycle tests that do not exercise New-KvmGuest.
# One virsh process does all of it (hundreds of guests in seconds); the prefix must be a plain word.
function New-LabGuests {
    param([Parameter(Mandatory)][ValidatePattern('^[A-Za-z0-9_.-]+$')][string]$HostName,
        [Parameter(Mandatory)][ValidatePattern('^[A-Za-z0-9_.-]+$')][string]$Prefix, [int]$Count = 1, [switch]$Start)
    $script = @'
prefix=$1; count=$2; start=$3
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
commands=
i=1
while [ "$i" -le "$count" ]; do
    name="$prefix$i"
    cat >"$dir/$i.xml" <<XML
<domain type='qemu'><name>$name</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices><serial type='pty'/><console type='pty'/></devices></domain>
XML
    commands="$commands define $dir/$i.xml;"
    [ "$start" = yes ] && commands="$commands start $name;"
    i=$((i + 1))
done
# virsh goes on after a failed command and exits with the last one's status: its stderr decides.
virsh -q "$commands" >/dev/null 2>"$dir/err"
rc=$?
[ -s "$dir/err" ] && { cat "$dir/err" >&2; exit 1; }
exit $rc
'@
    Invoke-KvmLabCommand $HostName 'sh', '-s', '--', $Prefix, "$Count", $(if ($Start) { 'yes' } else { 'no' }) -InputText $script | Out-Null
}

# The lab's tiny real guest (tests/lab/tiny-guest.sh): kernel and initrd at a path every lab host
# sees, and its kernel command line. Built once; fast when up to date.
function Initialize-TinyGuest {
    $out = & bash (Join-Path $PSScriptRoot 'lab/tiny-guest.sh') build 2>&1
    if ($LASTEXITCODE -ne 0) { throw "tiny-guest.sh build failed: $($out | Select-Object -Last 3)" }
    # The path is the last line of stdout; stderr's progress lines may arrive after it.
    $dir = ($out | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] } | Select-Object -Last 1).ToString().Trim()
    [pscustomobject]@{
        Kernel  = "$dir/vmlinuz"
        Initrd  = "$dir/initrd.img"
        Cmdline = (Get-Content "$dir/cmdline" -Raw).Trim()
    }
}

# Puts a lab host's network back as lab.sh made it, without KvmPS: eth0 with its address, no
# default route (with -DefaultRoute: one via the lab gateway, so gateway checks have one), no
# bridge named in -Bridge, no armed bridge change. For bridge tests: a failed test must not
# leave the next one a broken host.
function Reset-LabNetwork {
    param([Parameter(Mandatory)]$Lab, [int]$Index = 0, [string[]]$Bridge = @('br0'), [switch]$DefaultRoute)
    $h = $Lab.hosts[$Index]
    $script = @'
addr=$1 gw=$2 route=$3
shift 3
# No pid namespace in the lab: only this host's (network namespace's) timers.
me=$(readlink /proc/self/ns/net)
for p in $(pgrep -f "[k]vmps-bridge-"); do [ "$(readlink /proc/$p/ns/net)" = "$me" ] && kill "$p"; done
rm -rf /var/run/kvmps-bridge-*
for b in "$@"; do ip link del dev "$b" 2>/dev/null; done
ip link set dev eth0 nomaster 2>/dev/null
ip addr flush dev eth0 scope global
ip addr add "$addr/24" dev eth0
ip link set dev eth0 up
ip route del default 2>/dev/null
[ "$route" = yes ] && ip route replace default via "$gw" dev eth0
exit 0
'@
    Invoke-KvmLabCommand $h.name (@('sh', '-s', '--', $h.address, $Lab.gateway, $(if ($DefaultRoute) { 'yes' } else { 'no' })) + $Bridge) -InputText $script | Out-Null
}

# Makes the next bridge change of this process end by taking its link down (the lock-out tests):
# an internal hook of KvmPS, so reached by reflection.
function Set-BridgeConnectivityCut([bool]$Enabled) {
    (Get-Module KvmPS).ImplementingAssembly.GetType('KvmPS.Networking.BridgeChange').
        GetField('CutConnectivityAfterApply', [Reflection.BindingFlags]'NonPublic,Static').SetValue($null, $Enabled)
}

# What a command's -WhatIf shows: written to the host, not to a stream, so a transcript records it.
function Get-WhatIfText([Parameter(Mandatory)][scriptblock]$Command) {
    $transcript = Join-Path ([IO.Path]::GetTempPath()) ("kvmps-whatif-" + [guid]::NewGuid().ToString('N') + '.txt')
    $null = Start-Transcript -Path $transcript
    try { $null = & $Command }
    finally { $null = Stop-Transcript }
    $text = Get-Content -Raw $transcript
    Remove-Item $transcript
    $text
}

# Runs NetworkManager in a lab host (tests/lab/nm-host.sh), managing eth0 with its lab address.
function Start-LabNetworkManager {
    param([Parameter(Mandatory)]$Lab, [int]$Index = 1)
    $h = $Lab.hosts[$Index]
    Reset-LabNetwork $Lab -Index $Index
    $script = Get-Content -Raw (Join-Path $PSScriptRoot 'lab/nm-host.sh')
    Invoke-KvmLabCommand $h.name 'sh', '-s', '--', 'start', "$($h.address)/24", $Lab.gateway -InputText $script -TimeoutSec 120 | Out-Null
}

function Stop-LabNetworkManager {
    param([Parameter(Mandatory)]$Lab, [int]$Index = 1)
    $script = Get-Content -Raw (Join-Path $PSScriptRoot 'lab/nm-host.sh')
    Invoke-KvmLabCommand $Lab.hosts[$Index].name 'sh', '-s', '--', 'stop' -InputText $script | Out-Null
    Reset-LabNetwork $Lab -Index $Index
}

# One lock-out trial: the bridge change in $Change ends by cutting the host off (test hook); it
# must fail with $ErrorId, saying the host was restored. Returns the seconds until the cmdlet
# gave that answer (the host answering a new connection again).
function Invoke-BridgeLockoutTrial {
    param([Parameter(Mandatory)][scriptblock]$Change, [Parameter(Mandatory)][string]$ErrorId)
    Set-BridgeConnectivityCut $true
    $clock = [Diagnostics.Stopwatch]::StartNew()
    try {
        & $Change
        throw 'the change was kept although it cut the host off'
    }
    catch {
        $_.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $_.Exception.Message | Should -Match 'The host was restored as it was and answers again on a new connection'
    }
    finally {
        Set-BridgeConnectivityCut $false
    }

    [math]::Round($clock.Elapsed.TotalSeconds, 1)
}

# Prints and saves (output/test-results/<Name>.csv) the outcome of lock-out trials.
function Write-LockoutTrials {
    param([Parameter(Mandatory)][string]$Name, [Parameter(Mandatory)][AllowEmptyCollection()][object[]]$Trials, [int]$Expected)
    if (-not $Trials.Count) { return }
    $seconds = $Trials.Seconds | Measure-Object -Minimum -Maximum -Average
    Write-Host ('{0}: {1}/{2} recovered; time to recovery min {3:0.0} s, mean {4:0.0} s, max {5:0.0} s' -f
        $Name, @($Trials | Where-Object Recovered).Count, $Expected, $seconds.Minimum, $seconds.Average, $seconds.Maximum)
    $dir = Join-Path $PSScriptRoot '../output/test-results'
    $null = New-Item -ItemType Directory -Force $dir
    $Trials | Export-Csv -NoTypeInformation (Join-Path $dir "$Name.csv")
}

# A lab host's network as bridge tests compare it: bridges, global IPv4 addresses, the default
# route, and state directories of bridge changes.
function Get-LabNetworkState {
    param([Parameter(Mandatory)][string]$HostName)
    Invoke-KvmLabCommand $HostName 'sh', '-c', 'ip -o link show type bridge | cut -d: -f2 | tr -d " "; ip -4 -o addr show scope global | tr -s " " | cut -d" " -f2,4; ip route show default | sed "s/ *$//"; ls -d /var/run/kvmps-bridge-* 2>/dev/null; true'
}

# NetworkManager's view of a lab host: profiles (name, type, autoconnect, device), their files, addresses.
function Get-LabNmProfiles {
    param([Parameter(Mandatory)][string]$HostName)
    Invoke-KvmLabCommand $HostName 'sh', '-c', 'nmcli -t -f NAME,TYPE,AUTOCONNECT,DEVICE connection show | sort; ls /etc/NetworkManager/system-connections; ip -4 -o addr show scope global | tr -s " " | cut -d" " -f2,4'
}

# Defines (and starts) the lab's tiny real guest directly with virsh: kernel and initrd at a path every
# lab host sees, so it can move between hosts. Without -Bridge/-Network it has no network adapter;
# -Devices is extra device XML (e.g. a disk). A fixture for the migration tests.
function New-TinyLabGuest {
    param(
        [Parameter(Mandatory)][string]$HostName, [Parameter(Mandatory)][string]$Name,
        [string]$Bridge, [string]$Network, [string[]]$TinyArgs = @(), [string]$Devices = '', [int]$MemoryMiB = 96, [switch]$NoStart
    )
    $null = Initialize-TinyGuest
    $xmlArgs = @('xml', '--name', $Name, '--memory', "$MemoryMiB") + $TinyArgs
    if ($Bridge) { $xmlArgs += '--bridge', $Bridge } elseif ($Network) { $xmlArgs += '--network', $Network }
    $xml = (& bash (Join-Path $PSScriptRoot 'lab/tiny-guest.sh') @xmlArgs) -join "`n"
    if ($LASTEXITCODE -ne 0) { throw "tiny-guest.sh xml failed for $Name" }
    if (-not $Bridge -and -not $Network) { $xml = $xml -replace '(?s)\s*<interface .*?</interface>', '' }
    $xml = $xml.Replace('</devices>', "$Devices</devices>")
    $script = 'virsh define /dev/stdin >/dev/null || exit 1; [ "$1" = yes ] || exit 0; virsh start -- "$2" >/dev/null'
    Invoke-KvmLabCommand $HostName 'sh', '-c', $script, 'kvmps-define', $(if ($NoStart) { 'no' } else { 'yes' }), $Name -InputText $xml | Out-Null
}

# Where guests of a prefix are, for migration tests: "<name> <state> <persistent>" per guest on one host, sorted.
function Get-LabGuestPlaces {
    param([Parameter(Mandatory)][string]$HostName, [Parameter(Mandatory)][string]$Prefix)
    $script = 'for d in $(virsh list --all --name); do case "$d" in "$1"*) printf "%s %s %s\n" "$d" "$(virsh domstate "$d" | head -1 | tr " " _)" "$(virsh dominfo "$d" | sed -n "s/^Persistent: *//p")";; esac; done | sort'
    @(Invoke-KvmLabCommand $HostName 'sh', '-c', $script, 'kvmps-places', $Prefix)
}

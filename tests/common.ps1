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
    $script = @'
prefix=$1
for d in $(virsh list --all --name); do
    case "$d" in "$prefix"*) virsh destroy "$d" >/dev/null 2>&1; virsh undefine "$d" --nvram >/dev/null 2>&1 || virsh undefine "$d" >/dev/null 2>&1 ;; esac
done
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
function New-LabGuests {
    param([Parameter(Mandatory)][string]$HostName, [Parameter(Mandatory)][string]$Prefix, [int]$Count = 1, [switch]$Start)
    $script = @'
prefix=$1; count=$2; start=$3
i=1
while [ "$i" -le "$count" ]; do
    name="$prefix$i"
    virsh define /dev/stdin >/dev/null <<XML || exit 1
<domain type='qemu'><name>$name</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices><serial type='pty'/><console type='pty'/></devices></domain>
XML
    [ "$start" = yes ] && { virsh start "$name" >/dev/null || exit 1; }
    i=$((i + 1))
done
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

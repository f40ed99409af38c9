@{
    RootModule           = 'KvmPS.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f0f8a53-4d8e-4a55-9d62-2b0d6f2c9a11'
    Author               = 'KvmPS contributors'
    CompanyName          = 'KvmPS'
    Copyright            = '(c) 2026 KvmPS contributors. MIT License.'
    Description          = 'Administer KVM/libvirt hosts (RHEL first) from PowerShell, locally or over SSH: check capability, install the stack, bridge NICs, create and live-migrate guests, with objects that pipe into one another.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FormatsToProcess     = @('KvmPS.Format.ps1xml')
    CmdletsToExport      = @(
        'Connect-KvmHost'
        'Disconnect-KvmHost'
        'Get-KvmHost'
        'Get-KvmNetwork'
        'Get-KvmBridge'
        'New-KvmBridge'
        'Remove-KvmBridge'
        'New-KvmNetwork'
        'Remove-KvmNetwork'
        'Test-KvmMigration'
        'Move-KvmGuest'
        'Get-KvmGuest'
        'Get-KvmSession'
        'Install-KvmHost'
        'New-KvmGuest'
        'Remove-KvmGuest'
        'Restart-KvmGuest'
        'Resume-KvmGuest'
        'Start-KvmGuest'
        'Stop-KvmGuest'
        'Suspend-KvmGuest'
        'Test-KvmCapability'
        'Wait-KvmGuest'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('KVM', 'libvirt', 'QEMU', 'RHEL', 'SSH', 'Virtualization', 'LiveMigration', 'Linux', 'Windows', 'PSEdition_Core', 'PSEdition_Desktop')
            LicenseUri   = 'https://github.com/kvmps/KvmPS/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/kvmps/KvmPS'
            ReleaseNotes = @'
0.1.0: the first release. Sessions over SSH (known_hosts checked like OpenSSH, sudo) or local; host facts,
capability checks and installation (RHEL 5 to 10, Debian/Ubuntu); bridges under a rollback timer; libvirt
networks; guests (create from parameters or YAML, lifecycle, remove); live migration with a pre-flight;
tab completion, views and help for every cmdlet. Full list: https://github.com/kvmps/KvmPS/blob/main/CHANGELOG.md
'@
        }
    }
}

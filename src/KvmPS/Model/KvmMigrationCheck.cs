namespace KvmPS;

/// <summary>One pre-flight check of moving a guest to a destination. Returned by Test-KvmMigration.</summary>
public sealed class KvmMigrationCheck
{
    /// <summary>The guest's name.</summary>
    public string Guest { get; set; } = "";

    /// <summary>The source host, as its session names it.</summary>
    public string ComputerName { get; set; } = "";

    /// <summary>The destination host, as its session names it.</summary>
    public string Destination { get; set; } = "";

    /// <summary>A stable id, e.g. MigrationPorts.</summary>
    public string Check { get; set; } = "";

    public KvmCheckStatus Status { get; set; }

    /// <summary>What was found.</summary>
    public string Detail { get; set; } = "";

    /// <summary>What to do about it; empty when nothing needs doing.</summary>
    public string Remediation { get; set; } = "";

    public override string ToString() => $"{Guest} {ComputerName} -> {Destination} {Check}: {Status}";
}

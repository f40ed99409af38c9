using System;
using System.Management.Automation;

namespace KvmPS;

/// <summary>
/// A failure that knows how to become a good ErrorRecord: a stable PascalCase id, a specific
/// category and what the admin should do about it.
/// </summary>
internal sealed class KvmException : Exception
{
    public KvmException(string errorId, ErrorCategory category, string message, string recommendedAction, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Category = category;
        RecommendedAction = recommendedAction;
    }

    public string ErrorId { get; }

    public ErrorCategory Category { get; }

    public string RecommendedAction { get; }

    public ErrorRecord ToErrorRecord(object? target)
    {
        var record = new ErrorRecord(this, ErrorId, Category, target);
        if (RecommendedAction.Length > 0)
        {
            record.ErrorDetails = new ErrorDetails(Message) { RecommendedAction = RecommendedAction };
        }

        return record;
    }
}

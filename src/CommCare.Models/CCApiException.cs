using System;
using System.Net;

namespace CommCare.Models
{
    /// <summary>What went wrong, in the terms a script can act on.</summary>
    public enum CCErrorKind
    {
        Authentication, Permission, NotFound, BadRequest, Throttled, Server, Network, Timeout, BadResponse, NotConnected, InvalidArgument,
        /// <summary>A write whose answer was lost: the server may or may not have acted on it.</summary>
        OutcomeUnknown,
    }

    /// <summary>A failed CommCare call. Messages name the request path (never a secret) and the fix.</summary>
    public sealed class CCApiException : Exception
    {
        public CCApiException(CCErrorKind kind, string message, HttpStatusCode? status = null, string? serverMessage = null,
            string? requestPath = null, Exception? inner = null) : base(message, inner)
        {
            Kind = kind;
            StatusCode = status;
            ServerMessage = serverMessage;
            RequestPath = requestPath;
        }

        public CCErrorKind Kind { get; }
        public HttpStatusCode? StatusCode { get; }
        /// <summary>The server's own message from the response body, when there was one.</summary>
        public string? ServerMessage { get; }
        /// <summary>Method and path of the request, with secrets masked.</summary>
        public string? RequestPath { get; }

        /// <summary>A stable id for ErrorRecords: scripts match on it.</summary>
        public string ErrorId => "CommCare." + Kind;
    }
}

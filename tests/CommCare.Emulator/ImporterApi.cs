namespace CommCare.Emulator;

public sealed class CaseUpload
{
}

package pdu

import "strconv"

// Status is a command_status value. It implements error, so a response status
// can be returned and matched directly:
//
//	if errors.Is(err, pdu.ESME_RTHROTTLED) { ... }
//
// It prints as the spec spells it ("ESME_RTHROTTLED").
type Status uint32

// The command_status codes of SMPP 3.4 (and the SMPP 5.0 codes, for display).
//
//revive:disable:var-naming the spec's names are kept so that they can be searched.
const (
	ESME_ROK                 Status = 0x00000000 // Success.
	ESME_RINVMSGLEN          Status = 0x00000001 // Message length invalid.
	ESME_RINVCMDLEN          Status = 0x00000002 // Command length invalid.
	ESME_RINVCMDID           Status = 0x00000003 // Invalid command id.
	ESME_RINVBNDSTS          Status = 0x00000004 // Incorrect bind status for the command.
	ESME_RALYBND             Status = 0x00000005 // ESME already bound.
	ESME_RINVPRTFLG          Status = 0x00000006 // Invalid priority flag.
	ESME_RINVREGDLVFLG       Status = 0x00000007 // Invalid registered_delivery flag.
	ESME_RSYSERR             Status = 0x00000008 // System error.
	ESME_RINVSRCADR          Status = 0x0000000A // Invalid source address.
	ESME_RINVDSTADR          Status = 0x0000000B // Invalid destination address.
	ESME_RINVMSGID           Status = 0x0000000C // Message id invalid.
	ESME_RBINDFAIL           Status = 0x0000000D // Bind failed.
	ESME_RINVPASWD           Status = 0x0000000E // Invalid password.
	ESME_RINVSYSID           Status = 0x0000000F // Invalid system id.
	ESME_RCANCELFAIL         Status = 0x00000011 // cancel_sm failed.
	ESME_RREPLACEFAIL        Status = 0x00000013 // replace_sm failed.
	ESME_RMSGQFUL            Status = 0x00000014 // Message queue full.
	ESME_RINVSERTYP          Status = 0x00000015 // Invalid service type.
	ESME_RINVNUMDESTS        Status = 0x00000033 // Invalid number of destinations.
	ESME_RINVDLNAME          Status = 0x00000034 // Invalid distribution list name.
	ESME_RINVDESTFLAG        Status = 0x00000040 // Destination flag invalid (submit_multi).
	ESME_RINVSUBREP          Status = 0x00000042 // Invalid "submit with replace" request.
	ESME_RINVESMCLASS        Status = 0x00000043 // Invalid esm_class.
	ESME_RCNTSUBDL           Status = 0x00000044 // Cannot submit to distribution list.
	ESME_RSUBMITFAIL         Status = 0x00000045 // submit_sm / submit_multi failed.
	ESME_RINVSRCTON          Status = 0x00000048 // Invalid source TON.
	ESME_RINVSRCNPI          Status = 0x00000049 // Invalid source NPI.
	ESME_RINVDSTTON          Status = 0x00000050 // Invalid destination TON.
	ESME_RINVDSTNPI          Status = 0x00000051 // Invalid destination NPI.
	ESME_RINVSYSTYP          Status = 0x00000053 // Invalid system_type.
	ESME_RINVREPFLAG         Status = 0x00000054 // Invalid replace_if_present_flag.
	ESME_RINVNUMMSGS         Status = 0x00000055 // Invalid number of messages.
	ESME_RTHROTTLED          Status = 0x00000058 // Throttling error (ESME exceeded its allowed message rate/limits).
	ESME_RINVSCHED           Status = 0x00000061 // Invalid scheduled delivery time.
	ESME_RINVEXPIRY          Status = 0x00000062 // Invalid validity period (expiry).
	ESME_RINVDFTMSGID        Status = 0x00000063 // Predefined message invalid / not found.
	ESME_RX_T_APPN           Status = 0x00000064 // ESME receiver: temporary application error.
	ESME_RX_P_APPN           Status = 0x00000065 // ESME receiver: permanent application error.
	ESME_RX_R_APPN           Status = 0x00000066 // ESME receiver: reject message.
	ESME_RQUERYFAIL          Status = 0x00000067 // query_sm failed.
	ESME_RINVOPTPARSTREAM    Status = 0x000000C0 // Error in the optional part of the body.
	ESME_ROPTPARNOTALLWD     Status = 0x000000C1 // Optional parameter not allowed.
	ESME_RINVPARLEN          Status = 0x000000C2 // Invalid parameter length.
	ESME_RMISSINGOPTPARAM    Status = 0x000000C3 // Expected optional parameter missing.
	ESME_RINVOPTPARAMVAL     Status = 0x000000C4 // Invalid optional parameter value.
	ESME_RDELIVERYFAILURE    Status = 0x000000FE // Delivery failure (used in data_sm_resp).
	ESME_RUNKNOWNERR         Status = 0x000000FF // Unknown error.
	ESME_RSERTYPUNAUTH       Status = 0x00000100 // ESME not authorised to use the service_type
	ESME_RPROHIBITED         Status = 0x00000101 // ESME prohibited from using the operation
	ESME_RSERTYPUNAVAIL      Status = 0x00000102 // service_type unavailable
	ESME_RSERTYPDENIED       Status = 0x00000103 // service_type denied
	ESME_RINVDCS             Status = 0x00000104 // Invalid data coding scheme
	ESME_RINVSRCADDRSUBUNIT  Status = 0x00000105 // Invalid source address subunit
	ESME_RINVDSTADDRSUBUNIT  Status = 0x00000106 // Invalid destination address subunit
	ESME_RINVBCASTFREQINT    Status = 0x00000107 // Invalid broadcast frequency interval
	ESME_RINVBCASTALIAS_NAME Status = 0x00000108 // Invalid broadcast alias name
	ESME_RINVBCASTAREAFMT    Status = 0x00000109 // Invalid broadcast area format
	ESME_RINVNUMBCAST_AREAS  Status = 0x0000010A // Invalid number of broadcast areas
	ESME_RINVBCASTCNTTYPE    Status = 0x0000010B // Invalid broadcast content type
	ESME_RINVBCASTMSGCLASS   Status = 0x0000010C // Invalid broadcast message class
	ESME_RBCASTFAIL          Status = 0x0000010D // broadcast_sm failed
	ESME_RBCASTQUERYFAIL     Status = 0x0000010E // query_broadcast_sm failed
	ESME_RBCASTCANCELFAIL    Status = 0x0000010F // cancel_broadcast_sm failed
	ESME_RINVBCAST_REP       Status = 0x00000110 // Invalid number of repeated broadcasts
	ESME_RINVBCASTSRVGRP     Status = 0x00000111 // Invalid broadcast service group
	ESME_RINVBCASTCHANIND    Status = 0x00000112 // Invalid broadcast channel indicator
)

var statusNames = map[Status]string{
	ESME_ROK:                 "ESME_ROK",
	ESME_RINVMSGLEN:          "ESME_RINVMSGLEN",
	ESME_RINVCMDLEN:          "ESME_RINVCMDLEN",
	ESME_RINVCMDID:           "ESME_RINVCMDID",
	ESME_RINVBNDSTS:          "ESME_RINVBNDSTS",
	ESME_RALYBND:             "ESME_RALYBND",
	ESME_RINVPRTFLG:          "ESME_RINVPRTFLG",
	ESME_RINVREGDLVFLG:       "ESME_RINVREGDLVFLG",
	ESME_RSYSERR:             "ESME_RSYSERR",
	ESME_RINVSRCADR:          "ESME_RINVSRCADR",
	ESME_RINVDSTADR:          "ESME_RINVDSTADR",
	ESME_RINVMSGID:           "ESME_RINVMSGID",
	ESME_RBINDFAIL:           "ESME_RBINDFAIL",
	ESME_RINVPASWD:           "ESME_RINVPASWD",
	ESME_RINVSYSID:           "ESME_RINVSYSID",
	ESME_RCANCELFAIL:         "ESME_RCANCELFAIL",
	ESME_RREPLACEFAIL:        "ESME_RREPLACEFAIL",
	ESME_RMSGQFUL:            "ESME_RMSGQFUL",
	ESME_RINVSERTYP:          "ESME_RINVSERTYP",
	ESME_RINVNUMDESTS:        "ESME_RINVNUMDESTS",
	ESME_RINVDLNAME:          "ESME_RINVDLNAME",
	ESME_RINVDESTFLAG:        "ESME_RINVDESTFLAG",
	ESME_RINVSUBREP:          "ESME_RINVSUBREP",
	ESME_RINVESMCLASS:        "ESME_RINVESMCLASS",
	ESME_RCNTSUBDL:           "ESME_RCNTSUBDL",
	ESME_RSUBMITFAIL:         "ESME_RSUBMITFAIL",
	ESME_RINVSRCTON:          "ESME_RINVSRCTON",
	ESME_RINVSRCNPI:          "ESME_RINVSRCNPI",
	ESME_RINVDSTTON:          "ESME_RINVDSTTON",
	ESME_RINVDSTNPI:          "ESME_RINVDSTNPI",
	ESME_RINVSYSTYP:          "ESME_RINVSYSTYP",
	ESME_RINVREPFLAG:         "ESME_RINVREPFLAG",
	ESME_RINVNUMMSGS:         "ESME_RINVNUMMSGS",
	ESME_RTHROTTLED:          "ESME_RTHROTTLED",
	ESME_RINVSCHED:           "ESME_RINVSCHED",
	ESME_RINVEXPIRY:          "ESME_RINVEXPIRY",
	ESME_RINVDFTMSGID:        "ESME_RINVDFTMSGID",
	ESME_RX_T_APPN:           "ESME_RX_T_APPN",
	ESME_RX_P_APPN:           "ESME_RX_P_APPN",
	ESME_RX_R_APPN:           "ESME_RX_R_APPN",
	ESME_RQUERYFAIL:          "ESME_RQUERYFAIL",
	ESME_RINVOPTPARSTREAM:    "ESME_RINVOPTPARSTREAM",
	ESME_ROPTPARNOTALLWD:     "ESME_ROPTPARNOTALLWD",
	ESME_RINVPARLEN:          "ESME_RINVPARLEN",
	ESME_RMISSINGOPTPARAM:    "ESME_RMISSINGOPTPARAM",
	ESME_RINVOPTPARAMVAL:     "ESME_RINVOPTPARAMVAL",
	ESME_RDELIVERYFAILURE:    "ESME_RDELIVERYFAILURE",
	ESME_RUNKNOWNERR:         "ESME_RUNKNOWNERR",
	ESME_RSERTYPUNAUTH:       "ESME_RSERTYPUNAUTH",
	ESME_RPROHIBITED:         "ESME_RPROHIBITED",
	ESME_RSERTYPUNAVAIL:      "ESME_RSERTYPUNAVAIL",
	ESME_RSERTYPDENIED:       "ESME_RSERTYPDENIED",
	ESME_RINVDCS:             "ESME_RINVDCS",
	ESME_RINVSRCADDRSUBUNIT:  "ESME_RINVSRCADDRSUBUNIT",
	ESME_RINVDSTADDRSUBUNIT:  "ESME_RINVDSTADDRSUBUNIT",
	ESME_RINVBCASTFREQINT:    "ESME_RINVBCASTFREQINT",
	ESME_RINVBCASTALIAS_NAME: "ESME_RINVBCASTALIAS_NAME",
	ESME_RINVBCASTAREAFMT:    "ESME_RINVBCASTAREAFMT",
	ESME_RINVNUMBCAST_AREAS:  "ESME_RINVNUMBCAST_AREAS",
	ESME_RINVBCASTCNTTYPE:    "ESME_RINVBCASTCNTTYPE",
	ESME_RINVBCASTMSGCLASS:   "ESME_RINVBCASTMSGCLASS",
	ESME_RBCASTFAIL:          "ESME_RBCASTFAIL",
	ESME_RBCASTQUERYFAIL:     "ESME_RBCASTQUERYFAIL",
	ESME_RBCASTCANCELFAIL:    "ESME_RBCASTCANCELFAIL",
	ESME_RINVBCAST_REP:       "ESME_RINVBCAST_REP",
	ESME_RINVBCASTSRVGRP:     "ESME_RINVBCASTSRVGRP",
	ESME_RINVBCASTCHANIND:    "ESME_RINVBCASTCHANIND",
}

// String returns the spec name of the status, or its hexadecimal value.
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return "command_status(0x" + strconv.FormatUint(uint64(s), 16) + ")"
}

// Error implements error. ESME_ROK is not meant to be returned as an error.
func (s Status) Error() string { return "smpp: " + s.String() }

// Known reports whether s is a status code this package knows by name.
func (s Status) Known() bool { _, ok := statusNames[s]; return ok }

// Temporary reports whether a request that got s may succeed if retried later:
// throttling, a full queue, a system error, or the ESME's temporary application error.
func (s Status) Temporary() bool {
	switch s {
	case ESME_RTHROTTLED, ESME_RMSGQFUL, ESME_RSYSERR, ESME_RX_T_APPN:
		return true
	}
	return false
}

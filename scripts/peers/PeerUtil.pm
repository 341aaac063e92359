package PeerUtil;
# Helpers shared by esme.pl and smsc.pl: JSON-lines output, a plain walk over submit_sm /
# deliver_sm / data_sm bodies (exact short_message bytes and TLVs in wire order), and the
# SMPP 3.4 Appendix B receipt text. Encoding and decoding of PDUs is Net::SMPP's.
use strict;
use warnings;
use JSON::PP ();
use Time::HiRes ();
use POSIX ();
use Exporter 'import';
our @EXPORT_OK = qw(emit sm_fields parse_receipt format_receipt printable %MESSAGE_STATE);

our %MESSAGE_STATE = (ENROUTE => 1, DELIVRD => 2, EXPIRED => 3, DELETED => 4, UNDELIV => 5,
                      ACCEPTD => 6, UNKNOWN => 7, REJECTD => 8);

my $T0 = Time::HiRes::time();
my $JSON = JSON::PP->new->canonical(1);

# emit(event, key => value, ...): one JSON object per line on stdout, written with one
# syswrite so that lines of forked processes sharing the pipe never interleave.
sub emit {
  my ($event, %f) = @_;
  my $line = $JSON->encode({ event => $event, impl => 'perl', %f,
                             ms => int((Time::HiRes::time() - $T0) * 1000) });
  syswrite(STDOUT, "$line\n");
}

my %TLV_NAMES = (0x0005 => 'dest_addr_subunit', 0x000d => 'source_addr_subunit',
  0x001e => 'receipted_message_id', 0x0204 => 'user_message_reference', 0x020a => 'source_port',
  0x020b => 'destination_port', 0x020c => 'sar_msg_ref_num', 0x020e => 'sar_total_segments',
  0x020f => 'sar_segment_seqnum', 0x0424 => 'message_payload', 0x0423 => 'network_error_code',
  0x0427 => 'message_state', 0x0302 => 'more_messages_to_send', 0x0304 => 'payload_type',
  0x0210 => 'sc_interface_version');

# sm_fields($command, $body) -> hashref with the fields of a submit_sm, deliver_sm or
# data_sm body, short_message_hex, tlvs [{tag, name, hex}] and the well-known TLVs decoded.
sub sm_fields {
  my ($command, $body) = @_;
  my %f;
  my $off = 0;
  my $cstr = sub {
    my $end = index($body, "\0", $off);
    die "C-Octet string without NUL\n" if $end < 0;
    my $s = substr($body, $off, $end - $off);
    $off = $end + 1;
    return $s;
  };
  my $u8 = sub { die "body too short\n" if $off >= length $body; return ord(substr($body, $off++, 1)); };
  eval {
    $f{service_type} = $cstr->();
    $f{source_addr_ton} = $u8->(); $f{source_addr_npi} = $u8->(); $f{source_addr} = $cstr->();
    $f{dest_addr_ton} = $u8->(); $f{dest_addr_npi} = $u8->(); $f{destination_addr} = $cstr->();
    $f{esm_class} = $u8->();
    if ($command eq 'data_sm') {
      $f{registered_delivery} = $u8->();
      $f{data_coding} = $u8->();
    } else {
      $f{protocol_id} = $u8->(); $f{priority_flag} = $u8->();
      $f{schedule_delivery_time} = $cstr->(); $f{validity_period} = $cstr->();
      $f{registered_delivery} = $u8->(); $f{replace_if_present_flag} = $u8->();
      $f{data_coding} = $u8->(); $f{sm_default_msg_id} = $u8->();
      $f{sm_length} = $u8->();
      die "short_message runs past the body\n" if $off + $f{sm_length} > length $body;
      $f{short_message_hex} = unpack('H*', substr($body, $off, $f{sm_length}));
      $off += $f{sm_length};
    }
    my @tlvs;
    while ($off + 4 <= length $body) {
      my ($tag, $len) = unpack('nn', substr($body, $off, 4));
      my $v = substr($body, $off + 4, $len);
      push @tlvs, { tag => $tag, name => $TLV_NAMES{$tag}, hex => unpack('H*', $v) };
      my $name = $TLV_NAMES{$tag} // '';
      if ($name =~ /^(sar_msg_ref_num|source_port|destination_port|user_message_reference)$/ && length $v == 2) {
        $f{$name} = unpack('n', $v);
      } elsif ($name =~ /^(sar_total_segments|sar_segment_seqnum|message_state)$/ && length $v == 1) {
        $f{$name} = unpack('C', $v);
      } elsif ($name eq 'receipted_message_id') {
        ($f{receipted_message_id} = $v) =~ s/\0+$//;
      } elsif ($name eq 'message_payload') {
        $f{message_payload_hex} = unpack('H*', $v);
      }
      $off += 4 + $len;
    }
    $f{tlvs} = \@tlvs;
    1;
  } or do { chomp(my $e = $@); $f{body_error} = $e; };
  return \%f;
}

sub printable { my ($s) = @_; return defined $s && $s =~ /^[\x20-\x7e]*$/ ? $s : undef; }

sub parse_receipt {
  my ($t) = @_;
  return undef unless defined $t && $t =~
    /^id:(\S*) sub:(\S*) dlvrd:(\S*) submit date:(\d{10,12}) done date:(\d{10,12}) stat:(\S+) err:(\S+)(?: [Tt]ext:(.*))?$/s;
  return { id => $1, sub => $2, dlvrd => $3, submit_date => $4, done_date => $5, stat => $6, err => $7,
           text => $8 // '' };
}

sub format_receipt {
  my (%r) = @_;
  my $d = sub { POSIX::strftime('%y%m%d%H%M', gmtime($_[0])) };
  return sprintf('id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:%s text:%s',
    $r{id}, $r{stat} eq 'DELIVRD' ? '001' : '000', $d->($r{submitted}), $d->($r{done}),
    $r{stat}, $r{err}, substr($r{text} // '', 0, 20));
}

1;

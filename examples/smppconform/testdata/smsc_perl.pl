# smsc_perl.pl: a plain SMSC application on Perl Net::SMPP (1.19), written
# for the smppconform interop test (conform/smsc_thirdparty_test.go). It is
# what an ordinary application on the library does: one process per
# connection (Net::SMPP is synchronous), the bind's credentials checked, the
# bind state kept, submit_sm answered with a new message_id, enquire_link and
# unbind answered, generic_nack ESME_RINVCMDID for a command Net::SMPP does
# not know, and an Appendix B delivery receipt for registered_delivery 1 to a
# receiver or transceiver bind of the same system_id (through a spool
# directory, the processes being separate). It checks the fields of a
# submit_sm that Net::SMPP hands it decoded (flags, lengths, time strings),
# since Net::SMPP leaves that to the application; how the PDU was framed and
# its TLV area are Net::SMPP's.
#
#   perl smsc_perl.pl SYSTEM_ID PASSWORD
#
# It listens on a free port of 127.0.0.1 and prints {"port":N} on stdout; it
# runs until it gets SIGTERM/SIGINT.
use strict;
use warnings;
use POSIX qw(strftime WNOHANG);
use File::Temp qw(tempdir);
use IO::Select;
use Net::SMPP;

$| = 1;
my ($system_id, $password) = @ARGV;
my $listener = Net::SMPP->new_listen('127.0.0.1', port => 0, smpp_version => 0x34, listen => 64, timeout => 1)
  or die "smsc_perl.pl: listen: $!\n";
print '{"port":' . $listener->sockport . "}\n";

my $spool = tempdir('smsc_perl.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my %children;
my $parent = $$;
$SIG{CHLD} = sub { while ((my $pid = waitpid(-1, WNOHANG)) > 0) { delete $children{$pid}; } };
$SIG{TERM} = $SIG{INT} = sub { return unless $$ == $parent; kill 'TERM', keys %children; exit 0; };

my $conns = 0;
while (1) {
  my $conn = $listener->accept or next;    # accept times out every second
  $conns++;
  my $pid = fork;
  next unless defined $pid;
  if ($pid == 0) {
    $SIG{TERM} = $SIG{INT} = $SIG{CHLD} = 'DEFAULT';
    close $listener;
    serve($conn, $conns);
    exit 0;
  }
  $children{$pid} = 1;
  close $conn;
}

# check returns the command_status a submit_sm gets for its fields (SMPP 3.4
# section 5.2 limits), or 0.
sub check {
  my ($p) = @_;
  my $time = qr/^(|\d{15}[-+R])$/;
  return 0x06 if $p->{priority_flag} > 3;                       # ESME_RINVPRTFLG
  return 0x07 if $p->{registered_delivery} & 0xE0;              # ESME_RINVREGDLVFLG
  return 0x54 if $p->{replace_if_present_flag} > 1;             # ESME_RINVREPFLAG
  return 0x15 if length($p->{service_type} // '') > 5;          # ESME_RINVSERTYP
  return 0x0A if length($p->{source_addr} // '') > 20;          # ESME_RINVSRCADR
  my $dst = $p->{destination_addr} // '';
  return 0x0B if $dst eq '' || length($dst) > 20;               # ESME_RINVDSTADR
  return 0x61 if ($p->{schedule_delivery_time} // '') !~ $time; # ESME_RINVSCHED
  return 0x62 if ($p->{validity_period} // '') !~ $time;        # ESME_RINVEXPIRY
  my $sm = length($p->{short_message} // '');
  return 0x01 if $sm > 254 || ($sm > 0 && defined $p->{message_payload});   # ESME_RINVMSGLEN
  return 0;
}

# deliver sends the receipts spooled for this system_id.
sub deliver {
  my ($c, $sysid) = @_;
  for my $f (glob "$spool/$sysid.*") {
    next if $f =~ /\.claimed\.\d+$/;
    my $mine = "$f.claimed.$$";
    rename($f, $mine) or next;
    open(my $fh, '<', $mine) or next;
    local $/;
    my @r = split /\x1f/, <$fh>, -1;
    close $fh;
    unlink $mine;
    my ($id, $ston, $snpi, $src, $dton, $dnpi, $dst, $text) = @r;
    $c->deliver_sm(
      source_addr_ton => $ston, source_addr_npi => $snpi, source_addr => $src,
      dest_addr_ton => $dton, dest_addr_npi => $dnpi, destination_addr => $dst,
      esm_class => 0x04, data_coding => 0, short_message => $text,
      receipted_message_id => "$id\0", message_state => pack('C', 2), async => 1);
  }
}

sub serve {
  my ($c, $n) = @_;
  my $mode = '';    # '' (open), tx, rx or trx
  my $sysid = '';
  my $next = 0;
  my $sel = IO::Select->new($c);
  while (1) {
    deliver($c, $sysid) if $mode eq 'rx' || $mode eq 'trx';
    next unless $sel->can_read(0.1);
    my $pdu = $c->read_pdu or last;
    my $seq = $pdu->{seq};
    next if $pdu->{cmd} & 0x80000000;    # responses (to our receipts) need nothing
    if (!$pdu->{known_pdu}) { $c->generic_nack(seq => $seq, status => 0x03); next; }
    my $t = Net::SMPP::pdu_tab->{$pdu->{cmd}};
    my $cmd = $t ? $t->{cmd} : '';
    if ($cmd =~ /^bind_(transmitter|receiver|transceiver)$/) {
      my $resp = "${cmd}_resp";
      my $status = $mode ne '' ? 0x05
                 : $pdu->{system_id} ne $system_id ? 0x0F
                 : $pdu->{password} ne $password ? 0x0E : 0;
      $c->$resp(seq => $seq, status => $status, system_id => 'PERLSMSC');
      ($mode, $sysid) = ({ transmitter => 'tx', receiver => 'rx', transceiver => 'trx' }->{$1}, $pdu->{system_id}) unless $status;
    } elsif ($cmd eq 'enquire_link') {
      $c->enquire_link_resp(seq => $seq);
    } elsif ($cmd eq 'unbind') {
      if ($mode eq '') { $c->unbind_resp(seq => $seq, status => 0x04); next; }    # ESME_RINVBNDSTS
      $c->unbind_resp(seq => $seq);
      last;
    } elsif ($cmd eq 'submit_sm') {
      if ($mode ne 'tx' && $mode ne 'trx') { $c->submit_sm_resp(seq => $seq, status => 0x04, message_id => ''); next; }
      if (my $status = check($pdu)) { $c->submit_sm_resp(seq => $seq, status => $status, message_id => ''); next; }
      my $id = sprintf('%x', 0x6b000000 + $n * 0x10000 + ++$next);
      $c->submit_sm_resp(seq => $seq, status => 0, message_id => $id);
      if ((($pdu->{registered_delivery} // 0) & 3) == 1) {
        my $d = strftime('%y%m%d%H%M', gmtime);
        my $text = substr($pdu->{short_message} // '', 0, 20);
        my $tmp = "$spool/tmp.$$.$id";
        open(my $fh, '>', $tmp) or next;
        print $fh join("\x1f", $id, $pdu->{dest_addr_ton}, $pdu->{dest_addr_npi}, $pdu->{destination_addr},
          $pdu->{source_addr_ton}, $pdu->{source_addr_npi}, $pdu->{source_addr},
          "id:$id sub:001 dlvrd:001 submit date:$d done date:$d stat:DELIVRD err:000 text:$text");
        close $fh;
        rename $tmp, "$spool/$sysid.$id";
      }
    } else {
      $c->generic_nack(seq => $seq, status => 0x03);
    }
  }
  close $c;
}

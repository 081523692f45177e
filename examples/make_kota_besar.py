"""Writes examples/mpp-kota-besar.toml: a big-city MPP to judge screens, quotas and voice on.

About 40 agencies, 330 services and 60 counters over three floors, prefixes of two and
three letters, long Indonesian agency and service names (shaped after the big city MPPs:
DKI Jakarta lists 328 services). The hall is made, not copied from one city; every name is
one such a hall really has. Run:  python examples/make_kota_besar.py
"""
from __future__ import annotations

import json
import string
from pathlib import Path

OUT = Path(__file__).with_name("mpp-kota-besar.toml")
CITY = "Kota Surakarta"

# (id, name, name_en, initials, floor, [services: (id, name, name_en, quota, minutes)])
PROFESSIONS = ["Dokter", "Dokter Gigi", "Dokter Spesialis", "Bidan", "Perawat", "Apoteker",
               "Tenaga Teknis Kefarmasian", "Fisioterapis", "Perekam Medis", "Radiografer",
               "Ahli Gizi", "Terapis Gigi dan Mulut", "Elektromedis", "Psikolog Klinis",
               "Tenaga Sanitasi Lingkungan"]
FACILITIES = ["Rumah Sakit", "Klinik Pratama", "Klinik Utama", "Apotek", "Toko Obat",
              "Laboratorium Klinik", "Optik", "Praktik Mandiri Bidan", "Pedagang Besar Farmasi",
              "Satuan Pendidikan Anak Usia Dini", "Lembaga Kursus dan Pelatihan",
              "Tempat Penitipan Anak", "Panti Sosial", "Depot Air Minum", "Jasa Boga",
              "Puskesmas Swasta", "Rumah Bersalin", "Klinik Kecantikan", "Klinik Hewan",
              "Toko Alat Kesehatan", "Laboratorium Lingkungan", "Lembaga Penyiaran",
              "Tempat Pemakaman Bukan Umum", "Rumah Potong Hewan", "Gelanggang Olahraga"]
SECTORS = ["Perdagangan Eceran", "Perdagangan Besar", "Restoran", "Hotel", "Jasa Konstruksi",
           "Angkutan Barang", "Pergudangan", "Industri Makanan", "Industri Tekstil",
           "Industri Kerajinan", "Jasa Perjalanan Wisata", "Salon dan Spa", "Kafe",
           "Penyelenggaraan Acara", "Koperasi Simpan Pinjam", "Lembaga Pendidikan Nonformal",
           "Bengkel Kendaraan", "Penatu", "Percetakan", "Peternakan Unggas",
           "Minimarket", "Pusat Perbelanjaan", "Pasar Rakyat", "Toko Swalayan",
           "Stasiun Pengisian Bahan Bakar", "Gudang Farmasi", "Jasa Keamanan",
           "Jasa Kebersihan Gedung", "Penyewaan Kendaraan", "Kos dan Rumah Sewa",
           "Bioskop", "Karaoke Keluarga", "Pusat Kebugaran", "Kolam Renang",
           "Taman Rekreasi", "Industri Mebel", "Industri Batik", "Pengolahan Air Minum",
           "Jasa Ekspedisi", "Perikanan Budidaya"]
RECOMMENDING = ["Dinas Kesehatan", "Dinas Perhubungan", "Dinas Lingkungan Hidup",
                "Dinas Pekerjaan Umum", "Dinas Perdagangan", "Dinas Pariwisata",
                "Dinas Pendidikan", "Dinas Sosial", "Dinas Pemadam Kebakaran",
                "Dinas Pertanian", "Dinas Perumahan dan Permukiman", "Satuan Polisi Pamong Praja",
                "Dinas Kebudayaan", "Dinas Pemuda dan Olahraga", "Dinas Tenaga Kerja"]


def svc(sid, name, en, quota=0, minutes=15):
    return (sid, name, en, quota, minutes)


AGENCIES = [
    ("dukcapil", f"Dinas Kependudukan dan Pencatatan Sipil {CITY}", "Civil Registry Office",
     "DKP", 1, [svc("KTP-BARU", "Perekaman KTP Elektronik", "Electronic ID card recording", 150, 10),
                svc("KTP-GANTI", "Penggantian KTP Elektronik Hilang atau Rusak", "Replacing a lost or damaged ID card", 100, 10),
                svc("KK-BARU", "Penerbitan Kartu Keluarga Baru", "New family card", 0, 15),
                svc("KK-UBAH", "Perubahan Data Kartu Keluarga", "Family card changes", 0, 15),
                svc("AKTA-LAHIR", "Akta Kelahiran", "Birth certificate", 0, 15),
                svc("AKTA-MATI", "Akta Kematian", "Death certificate", 0, 15),
                svc("AKTA-KAWIN", "Akta Perkawinan non-Muslim", "Marriage certificate (non-Muslim)", 20, 30),
                svc("AKTA-CERAI", "Akta Perceraian non-Muslim", "Divorce certificate (non-Muslim)", 10, 30),
                svc("KIA", "Kartu Identitas Anak", "Child identity card", 0, 10),
                svc("PINDAH", "Surat Keterangan Pindah dan Datang", "Moving in or out", 0, 15),
                svc("LEGALISIR", "Legalisir Dokumen Kependudukan", "Certified copies", 0, 5),
                svc("IKD", "Aktivasi Identitas Kependudukan Digital", "Digital ID activation", 0, 10)]),
    ("imigrasi", f"Kantor Imigrasi Kelas I TPI {CITY}", "Immigration Office", "IMI", 1,
     [svc("PASPOR-BARU", "Permohonan Paspor Baru", "New passport", 100, 15),
      svc("PASPOR-GANTI", "Penggantian Paspor Habis Berlaku atau Penuh", "Passport renewal", 100, 15),
      svc("PASPOR-HILANG", "Penggantian Paspor Hilang atau Rusak", "Lost or damaged passport", 10, 30),
      svc("PASPOR-AMBIL", "Pengambilan Paspor", "Passport collection", 0, 5),
      svc("ITAS", "Izin Tinggal Terbatas bagi Orang Asing", "Limited stay permit (foreigners)", 20, 30)]),
    ("samsat", f"Samsat {CITY}", "Vehicle Registration (Samsat)", "SMS", 1,
     [svc("PKB-TAHUNAN", "Pembayaran Pajak Kendaraan Bermotor Tahunan", "Annual vehicle tax", 0, 10),
      svc("PKB-LIMA-TAHUN", "Penggantian STNK dan TNKB Lima Tahunan", "Five-yearly registration renewal", 0, 20),
      svc("BBNKB", "Balik Nama Kendaraan Bermotor", "Vehicle ownership transfer", 0, 30),
      svc("MUTASI", "Mutasi Kendaraan Antar Daerah", "Vehicle transfer between regions", 0, 30),
      svc("BLOKIR", "Blokir dan Buka Blokir STNK", "Registration block and unblock", 0, 10),
      svc("SWDKLLJ", "Sumbangan Wajib Dana Kecelakaan Lalu Lintas Jalan", "Road accident fund", 0, 5)]),
    ("polresta", f"Kepolisian Resor Kota {CITY.replace('Kota ', '')}", "City Police", "POL", 1,
     [svc("SKCK", "Surat Keterangan Catatan Kepolisian", "Police clearance certificate", 0, 15),
      svc("SIM-BARU", "Pembuatan SIM Baru", "New driving licence", 60, 30),
      svc("SIM-PANJANG", "Perpanjangan SIM", "Driving licence renewal", 0, 20),
      svc("LAPOR-HILANG", "Surat Keterangan Tanda Lapor Kehilangan", "Loss report", 0, 15),
      svc("IZIN-KERAMAIAN", "Izin Keramaian dan Kegiatan Masyarakat", "Public event permit", 0, 20)]),
    ("bapenda", f"Badan Pendapatan Daerah {CITY}", "Regional Revenue Agency", "BPD", 2,
     [svc("PBB-BAYAR", "Pembayaran Pajak Bumi dan Bangunan", "Land and building tax payment", 0, 10),
      svc("PBB-MUTASI", "Mutasi dan Pembetulan SPPT PBB", "Land tax record changes", 0, 20),
      svc("PBB-KERINGANAN", "Pengurangan dan Keringanan PBB", "Land tax relief", 0, 20),
      svc("BPHTB", "Validasi Bea Perolehan Hak atas Tanah dan Bangunan", "Land acquisition duty", 0, 20),
      svc("PAJAK-HOTEL", "Pajak Hotel dan Restoran", "Hotel and restaurant tax", 0, 15),
      svc("PAJAK-REKLAME", "Pajak Reklame", "Advertising tax", 0, 15),
      svc("PAJAK-AIR-TANAH", "Pajak Air Tanah", "Groundwater tax", 0, 15),
      svc("NPWPD", "Pendaftaran Nomor Pokok Wajib Pajak Daerah", "Regional taxpayer number", 0, 15)]),
    ("kpp", f"Kantor Pelayanan Pajak Pratama {CITY.replace('Kota ', '')}", "Tax Office", "KPP", 2,
     [svc("NPWP", "Pendaftaran Nomor Pokok Wajib Pajak", "Taxpayer registration", 0, 15),
      svc("EFIN", "Aktivasi EFIN", "EFIN activation", 0, 10),
      svc("SPT", "Konsultasi dan Pelaporan SPT Tahunan", "Annual tax return help", 0, 20),
      svc("PKP", "Pengukuhan Pengusaha Kena Pajak", "VAT registration", 0, 30),
      svc("SKB", "Surat Keterangan Bebas Pajak", "Tax exemption letter", 0, 20),
      svc("PAJAK-KONSULTASI", "Konsultasi Perpajakan Umum", "General tax advice", 0, 20)]),
    ("bpn", f"Kantor Pertanahan {CITY}", "Land Office", "BPN", 2,
     [svc("SERTIPIKAT-PERALIHAN", "Peralihan Hak Atas Tanah", "Land title transfer", 0, 30),
      svc("ROYA", "Roya dan Hak Tanggungan Elektronik", "Mortgage release", 0, 20),
      svc("PENGECEKAN", "Pengecekan Sertipikat", "Title check", 0, 10),
      svc("PENGUKURAN", "Pengukuran dan Pemetaan Bidang Tanah", "Land survey", 0, 30),
      svc("SKPT", "Surat Keterangan Pendaftaran Tanah", "Land registration statement", 0, 15),
      svc("GANTI-BLANKO", "Penggantian Blanko Sertipikat", "Certificate replacement", 0, 20)]),
    ("kemenag", f"Kantor Kementerian Agama {CITY}", "Ministry of Religious Affairs Office",
     "KMG", 2, [svc("HAJI-DAFTAR", "Pendaftaran Haji Reguler", "Hajj registration", 20, 30),
                svc("UMRAH", "Informasi Umrah dan Haji Khusus", "Umrah information", 0, 15),
                svc("HALAL", "Pendampingan Sertifikasi Halal", "Halal certification help", 10, 30),
                svc("LEGALISIR-IJAZAH", "Legalisir Ijazah Madrasah", "Madrasah diploma copies", 0, 10),
                svc("WAKAF", "Pendaftaran Tanah Wakaf", "Endowment land registration", 0, 30)]),
    ("pn", f"Pengadilan Negeri {CITY.replace('Kota ', '')}", "District Court", "PN", 2,
     [svc("PN-PIDANA", "Surat Keterangan Tidak Pernah Dipidana", "No criminal record letter", 0, 15),
      svc("PN-GUGATAN", "Pendaftaran Gugatan Perdata", "Civil claim filing", 0, 30),
      svc("PN-TILANG", "Pembayaran Denda Tilang", "Traffic fine payment", 0, 10),
      svc("PN-INFO", "Informasi Perkara", "Case information", 0, 10)]),
    ("pa", f"Pengadilan Agama {CITY.replace('Kota ', '')}", "Religious Court", "PA", 2,
     [svc("PA-CERAI", "Pendaftaran Perkara Perceraian", "Divorce case filing", 0, 30),
      svc("PA-WARIS", "Penetapan Ahli Waris", "Heirship determination", 0, 30),
      svc("PA-DISPENSASI", "Dispensasi Kawin", "Marriage dispensation", 0, 30),
      svc("PA-AKTA", "Pengambilan Akta Cerai", "Divorce certificate collection", 0, 10)]),
    ("kejari", f"Kejaksaan Negeri {CITY}", "District Attorney's Office", "KJR", 2,
     [svc("BARANG-BUKTI", "Pengambilan Barang Bukti", "Evidence return", 0, 15),
      svc("TILANG-KEJARI", "Pengambilan Barang Sitaan Tilang", "Traffic seizure return", 0, 10),
      svc("KONSULTASI-HUKUM", "Konsultasi Hukum Perdata dan Tata Usaha Negara", "Legal advice", 0, 30)]),
    ("bpjskes", f"BPJS Kesehatan Kantor Cabang {CITY.replace('Kota ', '')}", "BPJS Health",
     "BPJSK", 3, [svc("JKN-DAFTAR", "Pendaftaran Peserta JKN-KIS", "Health insurance enrolment", 0, 15),
                  svc("JKN-UBAH", "Perubahan Data dan Faskes Peserta", "Member data changes", 0, 10),
                  svc("JKN-AKTIF", "Pengaktifan Kembali Kepesertaan", "Reactivation", 0, 15),
                  svc("JKN-PENGADUAN", "Pengaduan dan Informasi JKN", "Complaints and information", 0, 15),
                  svc("JKN-TUNGGAKAN", "Program Rencana Pembayaran Bertahap", "Arrears instalment plan", 0, 20)]),
    ("bpjstk", f"BPJS Ketenagakerjaan Kantor Cabang {CITY.replace('Kota ', '')}",
     "BPJS Employment", "BPJTK", 3,
     [svc("JHT", "Klaim Jaminan Hari Tua", "Old-age savings claim", 40, 20),
      svc("JKK", "Klaim Jaminan Kecelakaan Kerja", "Work accident claim", 0, 30),
      svc("JKM", "Klaim Jaminan Kematian", "Death benefit claim", 0, 30),
      svc("JP", "Klaim Jaminan Pensiun", "Pension claim", 0, 30),
      svc("TK-DAFTAR", "Pendaftaran Peserta Bukan Penerima Upah", "Self-employed enrolment", 0, 15)]),
    ("taspen", f"PT Taspen (Persero) Kantor Cabang {CITY.replace('Kota ', '')}", "Taspen",
     "TSP", 3, [svc("TASPEN-PENSIUN", "Klaim Pensiun Pegawai Negeri", "Civil servant pension", 0, 20),
                svc("TASPEN-THT", "Klaim Tabungan Hari Tua", "Old-age savings", 0, 20),
                svc("TASPEN-OTENTIKASI", "Otentikasi Peserta Pensiun", "Pensioner authentication", 0, 5)]),
    ("pdam", "Perumda Air Minum Toya Wening", "Toya Wening Water Utility", "PAM", 3,
     [svc("PAM-BAYAR", "Pembayaran Rekening Air", "Water bill payment", 0, 5),
      svc("PAM-PASANG", "Pemasangan Sambungan Baru", "New connection", 0, 20),
      svc("PAM-BALIK-NAMA", "Balik Nama Pelanggan", "Customer name change", 0, 15),
      svc("PAM-ADUAN", "Pengaduan Gangguan Air", "Supply complaints", 0, 10)]),
    ("pln", "PT PLN (Persero) Unit Layanan Pelanggan", "PLN Electricity", "PLN", 3,
     [svc("PLN-PASANG", "Pasang Baru Listrik", "New electricity connection", 0, 20),
      svc("PLN-DAYA", "Perubahan Daya", "Capacity change", 0, 20),
      svc("PLN-ADUAN", "Pengaduan Tagihan dan Gangguan", "Billing and outage complaints", 0, 10)]),
    ("jasaraharja", "PT Jasa Raharja Kantor Cabang", "Jasa Raharja", "JR", 3,
     [svc("JR-SANTUNAN", "Pengajuan Santunan Kecelakaan Lalu Lintas", "Traffic accident compensation", 0, 30),
      svc("JR-INFO", "Informasi Santunan", "Compensation information", 0, 10)]),
    ("pos", "PT Pos Indonesia Kantor Cabang", "Pos Indonesia", "POS", 3,
     [svc("POS-KIRIM", "Pengiriman Surat dan Paket", "Letters and parcels", 0, 5),
      svc("POS-BANSOS", "Penyaluran Bantuan Sosial", "Social aid disbursement", 0, 10),
      svc("POS-WESEL", "Wesel dan Pembayaran", "Money orders and payments", 0, 5)]),
    ("pegadaian", "PT Pegadaian Cabang", "Pegadaian", "PGD", 3,
     [svc("GADAI", "Gadai Emas dan Barang", "Pawn loans", 0, 15),
      svc("TABUNGAN-EMAS", "Tabungan Emas", "Gold savings", 0, 10),
      svc("KREDIT-USAHA", "Pembiayaan Usaha Mikro", "Micro business financing", 0, 20)]),
    ("bankdaerah", "Bank Jateng Cabang Utama", "Bank Jateng", "BJT", 3,
     [svc("BJT-TELLER", "Teller: Setor, Tarik dan Pembayaran", "Teller", 0, 5),
      svc("BJT-CS", "Pembukaan Rekening dan Layanan Nasabah", "Accounts and customer service", 0, 15),
      svc("BJT-KREDIT", "Kredit Usaha Rakyat", "People's business credit", 0, 20)]),
    ("bri", "Bank Rakyat Indonesia Unit Mal Pelayanan Publik", "BRI", "BRI", 3,
     [svc("BRI-TELLER", "Teller Bank BRI", "BRI teller", 0, 5),
      svc("BRI-CS", "Layanan Nasabah Bank BRI", "BRI customer service", 0, 15)]),
    ("bsi", "Bank Syariah Indonesia Kantor Cabang Pembantu", "BSI", "BSI", 3,
     [svc("BSI-TELLER", "Teller Bank Syariah Indonesia", "BSI teller", 0, 5),
      svc("BSI-HAJI", "Tabungan Haji", "Hajj savings", 0, 15)]),
    ("dinkes", f"Dinas Kesehatan {CITY}", "Health Office", "DKS", 2,
     [svc("SERTIFIKAT-LAIK-HIGIENE", "Sertifikat Laik Higiene Sanitasi", "Hygiene certificate", 0, 20),
      svc("PIRT", "Sertifikat Produksi Pangan Industri Rumah Tangga", "Home food production certificate", 0, 20),
      svc("SURAT-SEHAT", "Rekomendasi dan Surat Keterangan Kesehatan", "Health letters", 0, 15)]),
    ("disnaker", f"Dinas Tenaga Kerja {CITY}", "Manpower Office", "NKR", 2,
     [svc("AK1", "Kartu Pencari Kerja (AK-1)", "Job seeker card", 0, 10),
      svc("WLKP", "Wajib Lapor Ketenagakerjaan di Perusahaan", "Company manpower report", 0, 15),
      svc("PERATURAN-PERUSAHAAN", "Pengesahan Peraturan Perusahaan", "Company regulation approval", 0, 30),
      svc("PHI", "Mediasi Perselisihan Hubungan Industrial", "Industrial dispute mediation", 5, 60),
      svc("PELATIHAN", "Pendaftaran Pelatihan Kerja", "Job training registration", 0, 10)]),
    ("dinsos", f"Dinas Sosial {CITY}", "Social Affairs Office", "DSS", 2,
     [svc("DTKS", "Pendaftaran Data Terpadu Kesejahteraan Sosial", "Social welfare registry", 0, 15),
      svc("SKTM", "Surat Keterangan Tidak Mampu", "Low-income letter", 0, 10),
      svc("BANSOS-ADUAN", "Pengaduan Bantuan Sosial", "Social aid complaints", 0, 15),
      svc("DISABILITAS", "Kartu Penyandang Disabilitas", "Disability card", 0, 15)]),
    ("dishub", f"Dinas Perhubungan {CITY}", "Transport Office", "DSH", 2,
     [svc("KIR", "Pengujian Berkala Kendaraan Bermotor (KIR)", "Periodic vehicle inspection", 0, 20),
      svc("TRAYEK", "Izin Trayek Angkutan Umum", "Public transport route permit", 0, 30),
      svc("ANDALALIN", "Persetujuan Analisis Dampak Lalu Lintas", "Traffic impact approval", 0, 45),
      svc("PARKIR", "Izin Penyelenggaraan Tempat Parkir", "Parking operation permit", 0, 20)]),
    ("dlh", f"Dinas Lingkungan Hidup {CITY}", "Environment Office", "DLH", 2,
     [svc("SPPL", "Surat Pernyataan Pengelolaan Lingkungan", "Environmental statement", 0, 20),
      svc("UKL-UPL", "Persetujuan UKL-UPL", "Environmental management approval", 0, 45),
      svc("LIMBAH-B3", "Rekomendasi Penyimpanan Limbah B3", "Hazardous waste storage", 0, 30)]),
    ("disdag", f"Dinas Perdagangan {CITY}", "Trade Office", "DPG", 2,
     [svc("TERA", "Tera dan Tera Ulang Alat Ukur", "Measuring instrument calibration", 0, 20),
      svc("KIOS-PASAR", "Izin Penempatan Kios Pasar", "Market stall permit", 0, 20),
      svc("SKA", "Surat Keterangan Asal Barang Ekspor", "Certificate of origin", 0, 20)]),
    ("dinkop", f"Dinas Koperasi dan Usaha Kecil Menengah {CITY}", "Cooperatives and SME Office",
     "KOP", 2, [svc("NIB-UMKM", "Pendampingan Nomor Induk Berusaha UMKM", "Business ID help for SMEs", 0, 20),
                svc("BADAN-HUKUM-KOPERASI", "Pendirian Badan Hukum Koperasi", "Cooperative incorporation", 0, 45),
                svc("KURASI", "Kurasi Produk UMKM", "SME product curation", 0, 30)]),
    ("disdik", f"Dinas Pendidikan {CITY}", "Education Office", "DIK", 2,
     [svc("LEGALISIR-IJAZAH-SEKOLAH", "Legalisir Ijazah Sekolah Dasar dan Menengah", "School diploma copies", 0, 10),
      svc("MUTASI-SISWA", "Rekomendasi Mutasi Siswa", "Student transfer", 0, 15),
      svc("IZIN-SEKOLAH", "Izin Pendirian Satuan Pendidikan", "School establishment permit", 0, 45)]),
    ("bkpsdm", f"Badan Kepegawaian dan Pengembangan Sumber Daya Manusia {CITY}",
     "Civil Service Agency", "BKP", 2,
     [svc("KARPEG", "Kartu Pegawai dan Kartu Suami Istri", "Civil servant cards", 0, 15),
      svc("PENSIUN-ASN", "Usul Pensiun Aparatur Sipil Negara", "Civil servant pension proposal", 0, 30)]),
    ("bpom", "Loka Pengawas Obat dan Makanan", "Food and Drug Supervisory Office", "POM", 3,
     [svc("BPOM-KONSULTASI", "Konsultasi Registrasi Obat dan Makanan", "Registration advice", 0, 20),
      svc("BPOM-ADUAN", "Pengaduan Konsumen Obat dan Makanan", "Consumer complaints", 0, 15)]),
    ("bnn", f"Badan Narkotika Nasional {CITY}", "National Narcotics Board", "BNN", 3,
     [svc("SKHPN", "Surat Keterangan Hasil Pemeriksaan Narkotika", "Drug test certificate", 40, 20),
      svc("REHABILITASI", "Konsultasi Rehabilitasi", "Rehabilitation advice", 0, 30)]),
    ("kua", "Kantor Urusan Agama Kecamatan", "Religious Affairs (Marriage) Office", "KUA", 2,
     [svc("NIKAH-DAFTAR", "Pendaftaran Nikah", "Marriage registration", 0, 30),
      svc("BUKU-NIKAH", "Duplikat Buku Nikah", "Marriage book duplicate", 0, 15),
      svc("RUJUK", "Pencatatan Rujuk", "Reconciliation record", 0, 20)]),
    ("dpupr", f"Dinas Pekerjaan Umum dan Penataan Ruang {CITY}", "Public Works Office", "PU", 1,
     [svc("KRK", "Keterangan Rencana Kota", "City planning statement", 0, 20),
      svc("PBG-KONSULTASI", "Konsultasi Persetujuan Bangunan Gedung", "Building approval advice", 0, 30),
      svc("SLF", "Sertifikat Laik Fungsi", "Certificate of fitness", 0, 30),
      svc("SKRK", "Kesesuaian Kegiatan Pemanfaatan Ruang", "Spatial use conformity", 0, 30)]),
    ("kominfo", f"Dinas Komunikasi dan Informatika {CITY}", "Communications Office", "KOM", 3,
     [svc("PPID", "Permohonan Informasi Publik", "Public information request", 0, 15),
      svc("TTE", "Pendaftaran Tanda Tangan Elektronik", "Electronic signature", 0, 15)]),
    ("ombudsman", "Ombudsman Republik Indonesia Perwakilan Jawa Tengah", "Ombudsman",
     "ORI", 3, [svc("LAPOR-MALADMINISTRASI", "Konsultasi dan Laporan Maladministrasi", "Maladministration reports", 0, 30)]),
]

# The one-stop permit office: the longest list, generated from real permit families.
PTSP = ("dpmptsp", f"Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu {CITY}",
        "Investment and One-Stop Integrated Services Office", "PTSP", 1,
        [svc(f"SIP-{i + 1:02d}", f"Surat Izin Praktik {p}", f"Practice licence: {p}", 0, 20)
         for i, p in enumerate(PROFESSIONS)] +
        [svc(f"IZIN-OPS-{i + 1:02d}", f"Izin Operasional {f}", f"Operating licence: {f}", 0, 30)
         for i, f in enumerate(FACILITIES)] +
        [svc(f"PB-UMKU-{i + 1:02d}", f"Perizinan Berusaha Untuk Menunjang Kegiatan Usaha {s}",
             f"Supporting business licence: {s}", 0, 30) for i, s in enumerate(SECTORS)] +
        [svc(f"SERTIFIKAT-STANDAR-{i + 1:02d}", f"Sertifikat Standar Usaha {s}",
             f"Business standard certificate: {s}", 0, 30) for i, s in enumerate(SECTORS)] +
        [svc(f"IZIN-OPS-ULANG-{i + 1:02d}", f"Perpanjangan Izin Operasional {f}",
             f"Operating licence renewal: {f}", 0, 20) for i, f in enumerate(FACILITIES)] +
        [svc(f"REKOMTEK-{i + 1:02d}", f"Rekomendasi Teknis {r}", f"Technical recommendation: {r}",
             0, 30) for i, r in enumerate(RECOMMENDING)] +
        [svc(f"NIB-{i + 1:02d}", f"Nomor Induk Berusaha Risiko {r}", f"Business ID ({r} risk)", 0, 20)
         for i, r in enumerate(["Rendah", "Menengah Rendah", "Menengah Tinggi", "Tinggi"])] +
        [svc("IZIN-REKLAME", "Izin Penyelenggaraan Reklame", "Advertising permit", 0, 20),
         svc("IZIN-TOWER", "Izin Menara Telekomunikasi", "Telecom tower permit", 0, 45),
         svc("TDUP", "Tanda Daftar Usaha Pariwisata", "Tourism business registration", 0, 20),
         svc("PKKPR", "Persetujuan Kesesuaian Kegiatan Pemanfaatan Ruang", "Spatial use approval", 0, 45),
         svc("PTSP-PENGADUAN", "Pengaduan dan Konsultasi Perizinan", "Permit complaints and advice", 0, 20)])
AGENCIES.insert(0, PTSP)

# Kiosk tile names (short_name, short_name_en; None = the full name) where the full one would
# not fit two lines of a 7" tile. The full name heads the next screen and is printed.
SHORT_AGENCIES = {
    "dpmptsp": ("DPMPTSP (Perizinan)", "One-Stop Permits (DPMPTSP)"),
    "dukcapil": ("Dukcapil", "Civil Registry"), "imigrasi": ("Imigrasi", None),
    "polresta": ("Polresta (SKCK, SIM)", "Police (SKCK, licences)"),
    "bapenda": ("Bapenda (Pajak Daerah)", None), "kpp": ("Kantor Pajak (KPP)", None),
    "bpn": ("Pertanahan (BPN)", None), "kemenag": ("Kementerian Agama", "Religious Affairs"),
    "kejari": ("Kejaksaan Negeri", None), "bpjskes": ("BPJS Kesehatan", None),
    "bpjstk": ("BPJS Ketenagakerjaan", None), "taspen": ("Taspen", None),
    "pdam": ("PDAM Toya Wening", None), "pln": ("PLN", None),
    "jasaraharja": ("Jasa Raharja", None), "pos": ("Pos Indonesia", None),
    "bri": ("Bank BRI", None), "bsi": ("Bank Syariah Indonesia", None),
    "dinkes": ("Dinas Kesehatan", None), "disnaker": ("Dinas Tenaga Kerja", None),
    "dishub": ("Dinas Perhubungan", None), "dlh": ("Dinas Lingkungan Hidup", None),
    "disdag": ("Dinas Perdagangan", None), "dinkop": ("Dinas Koperasi dan UKM", None),
    "disdik": ("Dinas Pendidikan", None), "bkpsdm": ("BKPSDM (Kepegawaian)", None),
    "bpom": ("BPOM", "Food and Drug (BPOM)"), "bnn": ("BNN", None), "kua": ("KUA", None),
    "dpupr": ("Dinas PUPR", None), "kominfo": ("Diskominfo", None),
    "ombudsman": ("Ombudsman RI", None),
}
SHORT_SERVICES = {
    "KTP-GANTI": ("KTP-el Hilang atau Rusak", None),
    "PASPOR-GANTI": ("Ganti Paspor Habis/Penuh", None),
    "PASPOR-HILANG": ("Paspor Hilang atau Rusak", None),
    "ITAS": ("ITAS (Orang Asing)", None),
    "PKB-TAHUNAN": ("Pajak Kendaraan Tahunan", None),
    "PKB-LIMA-TAHUN": ("STNK dan Plat 5 Tahunan", "Five-yearly renewal"),
    "SWDKLLJ": ("SWDKLLJ (Dana Kecelakaan)", None),
    "LAPOR-HILANG": ("Lapor Kehilangan", None),
    "IZIN-KERAMAIAN": ("Izin Keramaian", None),
    "PBB-BAYAR": ("Bayar PBB", None), "PBB-MUTASI": ("Mutasi SPPT PBB", None),
    "BPHTB": ("Validasi BPHTB", None), "NPWPD": ("NPWPD", None),
    "NPWP": ("Daftar NPWP", None), "PKP": ("Pengukuhan PKP", None),
    "PENGUKURAN": ("Pengukuran Tanah", None), "SKPT": ("SKPT", None),
    "PN-PIDANA": ("Surat Tidak Pernah Dipidana", None),
    "KONSULTASI-HUKUM": ("Konsultasi Hukum", None),
    "JKN-DAFTAR": ("Daftar JKN-KIS", None), "JKN-UBAH": ("Ubah Data dan Faskes", None),
    "JKN-TUNGGAKAN": ("Cicilan Tunggakan JKN", None),
    "TK-DAFTAR": ("Daftar Bukan Penerima Upah", None),
    "TASPEN-PENSIUN": ("Klaim Pensiun PNS", None),
    "JR-SANTUNAN": ("Santunan Kecelakaan", None),
    "BJT-TELLER": ("Teller", None), "BJT-CS": ("Rekening dan Nasabah", None),
    "SERTIFIKAT-LAIK-HIGIENE": ("Laik Higiene Sanitasi", None),
    "PIRT": ("Sertifikat PIRT", None), "SURAT-SEHAT": ("Surat Keterangan Sehat", None),
    "WLKP": ("Wajib Lapor (WLKP)", None), "PHI": ("Mediasi Hubungan Industrial", None),
    "PERATURAN-PERUSAHAAN": ("Peraturan Perusahaan", None),
    "DTKS": ("Daftar DTKS", None), "KIR": ("Uji KIR Kendaraan", None),
    "ANDALALIN": ("Andalalin", None), "PARKIR": ("Izin Tempat Parkir", None),
    "SPPL": ("SPPL", None), "LIMBAH-B3": ("Limbah B3", None),
    "SKA": ("Surat Keterangan Asal", None), "NIB-UMKM": ("NIB untuk UMKM", None),
    "BADAN-HUKUM-KOPERASI": ("Badan Hukum Koperasi", None),
    "LEGALISIR-IJAZAH-SEKOLAH": ("Legalisir Ijazah Sekolah", None),
    "IZIN-SEKOLAH": ("Izin Pendirian Sekolah", None),
    "PENSIUN-ASN": ("Usul Pensiun ASN", None),
    "BPOM-KONSULTASI": ("Registrasi Obat dan Makanan", None),
    "SKHPN": ("Surat Bebas Narkotika", None),
    "PBG-KONSULTASI": ("Konsultasi PBG", None), "SKRK": ("Kesesuaian Ruang (SKRK)", None),
    "TTE": ("Tanda Tangan Elektronik", None),
    "LAPOR-MALADMINISTRASI": ("Laporan Maladministrasi", None),
    "PKKPR": ("PKKPR (Pemanfaatan Ruang)", None),
    "PTSP-PENGADUAN": ("Pengaduan Perizinan", None),
}
# The permit office's families, each a group on the kiosk (group, group_en, words of the
# name before the item): inside the group a tile names the item alone ("Bidan").
FAMILIES = {"SIP-": ("Surat Izin Praktik", "Practice licences", 3),
            "IZIN-OPS-ULANG-": ("Perpanjangan Izin", "Licence renewals", 3),
            "IZIN-OPS-": ("Izin Operasional", "Operating licences", 2),
            "PB-UMKU-": ("Perizinan Berusaha (UMKU)", "Supporting business licences", 6),
            "SERTIFIKAT-STANDAR-": ("Sertifikat Standar Usaha", "Standard certificates", 3),
            "REKOMTEK-": ("Rekomendasi Teknis", "Technical recommendations", 2),
            "NIB-": ("Nomor Induk Berusaha (NIB)", "Business ID (NIB)", 3)}
SHORT_MAX = 28           # antrean/config.py SHORT_NAME_MAX


def family(sid: str) -> tuple[str, str, int] | None:
    return next((f for start, f in FAMILIES.items() if sid.startswith(start)), None)


def short_names(sid: str, name: str, en: str) -> tuple[str | None, str | None]:
    if sid in SHORT_SERVICES:
        return SHORT_SERVICES[sid]
    f = family(sid)
    if f is None:
        return None, None
    item = name.split(" ", f[2])[-1]
    item_en = en.split(": ", 1)[-1] if ": " in en else None
    return (item if len(item) <= SHORT_MAX else None), \
        (item_en if item_en and len(item_en) <= SHORT_MAX else None)


def group_lines(sid: str) -> list[str]:
    f = family(sid)
    return [f"group = {q(f[0])}", f"group_en = {q(f[1])}"] if f else []


def short_lines(short: str | None, short_en: str | None) -> list[str]:
    return ([f"short_name = {q(short)}"] if short else []) + \
        ([f"short_name_en = {q(short_en)}"] if short_en else [])


LETTERS = [c for c in string.ascii_uppercase if c not in "IOQ"]


def prefixes():
    """Per agency, prefixes starting with its initial: two letters for a small agency (PA,
    PB, ...), three for a big one (PAA, PAB, ...), none used twice."""
    used: set[str] = set()
    for agency in AGENCIES:
        stem, big = agency[3][0], len(agency[5]) > 6
        codes = []
        for _ in agency[5]:
            code = next(c for c in _candidates(stem, big) if c not in used)
            used.add(code)
            codes.append(code)
        yield codes


def _candidates(stem: str, big: bool):
    if not big:
        yield from (stem + a for a in LETTERS)
    yield from (stem + a + b for a in LETTERS for b in LETTERS)


def q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def toml() -> str:
    out = ["# Generated by examples/make_kota_besar.py (edit that, then run it): a big-city MPP",
           "# to judge screens, quotas and voice on. Check it with:",
           "#   antrean config check examples/mpp-kota-besar.toml",
           "# A big-city MPP: " + f"{len(AGENCIES)} agencies, "
           f"{sum(len(a[5]) for a in AGENCIES)} services, 60 counters on three floors.",
           "# No passwords here: every card carries this file. `antrean credentials` makes them",
           "# (docs/credentials.md).",
           "version = 1", "", "[site]", 'id = "mpp-kota-besar"',
           f"name = {q('Mal Pelayanan Publik ' + CITY)}", 'timezone = "Asia/Jakarta"',
           'ticket_footer = "Terima kasih atas kunjungan Anda. Layanan ini tidak dipungut biaya '
           'di luar ketentuan resmi."', "", "[site.hours]",
           *(f'{d} = ["07:30-12:00", "13:00-16:00"]' for d in ("mon", "tue", "wed", "thu")),
           'fri = ["07:30-11:30", "13:00-16:00"]', 'sat = ["08:00-12:00"]', "",
           "[rules]", "priority_every = 3", "lease_size = 20", ""]
    for (aid, name, en, initials, floor, _) in AGENCIES:
        out += [f"# lantai {floor}", "[[agencies]]", f"id = {q(aid)}", f"name = {q(name)}",
                f"name_en = {q(en)}", *short_lines(*SHORT_AGENCIES.get(aid, (None, None))),
                f"initials = {q(initials)}", ""]
    for agency, codes in zip(AGENCIES, prefixes()):
        for (sid, name, en, quota, minutes), prefix in zip(agency[5], codes):
            out += ["[[services]]", f"id = {q(sid)}", f"agency = {q(agency[0])}",
                    f"prefix = {q(prefix)}", f"name = {q(name)}", f"name_en = {q(en)}",
                    *short_lines(*short_names(sid, name, en)), *group_lines(sid),
                    f"daily_quota = {quota}", f"standard_minutes = {minutes}", ""]
    out += counters()
    out += devices()
    return "\n".join(out)


def counters(total: int = 60) -> list[str]:
    """``total`` counters: one per agency, the rest to the agencies with the most services
    (the permit office gets a row of them); each counter serves up to 12 of its agency's
    services, starting at a different one."""
    share = {a[0]: 1 for a in AGENCIES}
    for _ in range(total - len(AGENCIES)):
        busiest = max(AGENCIES, key=lambda a: len(a[5]) / share[a[0]])
        share[busiest[0]] += 1
    desks, cid = [], 1
    for agency in AGENCIES:
        served = [s[0] for s in agency[5]]
        n = share[agency[0]]
        for k in range(n):
            start = k * len(served) // n
            order = (served[start:] + served[:start])[:12]
            desks += ["[[counters]]", f"id = {cid}", f'name = "Loket {cid}"',
                      f"agency = {q(agency[0])}", f"services = {json.dumps(order)}",
                      *(['policy = "oldest"'] if k % 2 else []), ""]
            cid += 1
    return desks


def devices() -> list[str]:
    out = []
    for k, floor in ((1, 1), (2, 1), (3, 2), (4, 3)):
        out += ["[[kiosks]]", f'id = "kiosk-{k}"',
                'printer = { backend = "network", host = "127.0.0.1", port = 9100, '
                'paper = "80mm" }', ""]
    out += ["[[displays]]", 'id = "display-hall"',
            'layout = "hall"', 'language = "id"', "speak = true",
            f"running_text = {q('Selamat datang di Mal Pelayanan Publik ' + CITY + '.')}", ""]
    pins = [{"next": 17, "recall": 27, "skip": 22, "led": 23},
            {"next": 5, "recall": 6, "skip": 13, "led": 19},
            {"next": 16, "recall": 20, "skip": 21, "led": 26},
            {"next": 24, "recall": 25, "skip": 12, "led": 18}]
    for b in range(15):
        ids = list(range(b * 4 + 1, b * 4 + 5))
        out += ["[[button_boxes]]", f'id = "box-{b + 1}"',
                f"counters = {ids}", "[button_boxes.pins]"]
        out += [f"{c} = {{ " + ", ".join(f"{k} = {v}" for k, v in p.items()) + " }"
                for c, p in zip(ids, pins)]
        out.append("")
    out += ["[[operators]]", 'id = "ops-status"', "",
            "[[operators]]", 'id = "ops-laptop"',
            "commands = true", "",
            "[[operators]]", 'id = "ops-web"', ""]
    return out


if __name__ == "__main__":
    OUT.write_text(toml())
    print(f"wrote {OUT}")

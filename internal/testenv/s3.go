package testenv

import (
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
)

// PagesBucket is the name of the KYC pages bucket.
func (e *Env) PagesBucket() string { return e.Vars["PAGES_BUCKET"] }

// S3 is a client of the local S3.
func (e *Env) S3() *s3.Client { return s3.NewFromConfig(e.AWS) }

// S3Event builds the notification S3 sends to Lambda when an object is
// created (s3:ObjectCreated:Put), one record per key, with the key
// URL-encoded as S3 does.
func S3Event(bucket string, size int64, keys ...string) events.S3Event {
	var ev events.S3Event
	for _, key := range keys {
		rec := events.S3EventRecord{EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: awstest.Region,
			EventTime: time.Now().UTC(), EventName: "ObjectCreated:Put"}
		rec.S3.SchemaVersion, rec.S3.ConfigurationID = "1.0", "pages-uploads"
		rec.S3.Bucket.Name, rec.S3.Bucket.Arn = bucket, "arn:aws:s3:::"+bucket
		rec.S3.Object.Key = strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
		rec.S3.Object.URLDecodedKey, rec.S3.Object.Size = key, size
		ev.Records = append(ev.Records, rec)
	}
	return ev
}
